"""`cited retrieve "QUERY"`: the ranked passages behind an answer, with their scores, to check retrieval by
eye (or by script, with --json: the same shape as `POST /api/retrieve`).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

from index.cli_options import EXIT_USER_ERROR, add_date_options, add_index_options, add_k_option, date_filters
from index.limits import MODES
from index.models import Passage
from index.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cited retrieve", description="Show the passages retrieved for a query.")
    parser.add_argument("query", help="what to search for")
    add_k_option(parser, "how many passages")
    parser.add_argument("--json", action="store_true", help='print {"query", "k", "passages": [...]} as JSON')
    parser.add_argument("--doc-id", action="append", help="only this article (repeatable)")
    parser.add_argument("--source", action="append", help="only this outlet (repeatable)")
    parser.add_argument("--mode", choices=MODES, default=MODES[0], help="retrieval mode")
    add_date_options(parser)
    add_index_options(parser)
    return parser


def _score(value: float | None, rank: int | None) -> str:
    return "-" if value is None else f"{value:.3f} (#{rank})"


def format_passage(p: Passage, width: int = 100) -> str:
    par = p.paragraph
    published = par.published.isoformat() if par.published else "date unknown"
    where = " · ".join(x for x in (par.title, par.source, published, f"¶{par.n}") if x)
    head = (
        f"{p.rank:>2}. {par.id}   fused {p.score:.4f} · dense {_score(p.dense_score, p.dense_rank)} · "
        f"keyword {_score(p.keyword_score, p.keyword_rank)}"
    )
    body = textwrap.fill(par.text, width=width, initial_indent="    ", subsequent_indent="    ")
    return f"{head}\n    {where}\n{body}"


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    from index.store import IndexUnavailableError
    from qa.retriever import QueryError, Retriever

    args = build_parser().parse_args(argv)
    overrides: dict[str, object] = {}
    if args.index_dir is not None:
        overrides["index_dir"] = args.index_dir
    if args.chroma_url:
        overrides["chroma_url"] = args.chroma_url
    filters: dict[str, object] = date_filters(args)
    if args.doc_id:
        filters["doc_id"] = args.doc_id
    if args.source:
        filters["source"] = args.source
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
        k = settings.top_k if args.k is None else args.k
        retriever = Retriever.from_defaults(settings, mode=args.mode)
        passages = retriever.retrieve(args.query, k, filters or None, args.as_of)
    except (ValidationError, QueryError, IndexUnavailableError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    if args.json:
        payload = {
            "query": args.query.strip(),
            "k": k,
            "passages": [p.model_dump(mode="json") for p in passages],
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    if not passages:
        print("no passages found")
        return 0
    print("\n\n".join(format_passage(p) for p in passages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
