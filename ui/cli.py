"""The `cited` command line.

Heavy libraries (torch, Chroma, Gradio, llama-index) are imported inside each command, so `cited status` or a
usage error answers at once and `cited ask` pays only for what answering needs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import get_args

from index.cli_options import EXIT_USER_ERROR, add_date_options, add_index_options, add_k_option, date_filters
from index.settings import AnswererName, Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "chroma_url", None):
        overrides["chroma_url"] = args.chroma_url
    if getattr(args, "index_dir", None):
        overrides["index_dir"] = args.index_dir
    if getattr(args, "k", None):
        overrides["top_k"] = args.k
    if getattr(args, "answerer", None):
        overrides["answerer"] = args.answerer
    return Settings(**overrides)


def cmd_ingest(args: argparse.Namespace) -> int:
    from index.ingest import ingest

    settings = _settings(args)
    paths = args.paths or [settings.articles_dir]
    report = ingest(paths, settings, progress=not args.quiet, skip_bad=args.skip_bad)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for skipped in report.skipped:
        print(f"skipped: {skipped}", file=sys.stderr)
    print(report.summary())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from index.status import index_status

    status = index_status(_settings(args))
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        for key, value in status.items():
            print(f"{key:>14}: {value}")
    return 0


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: object) -> str:
    """Text for the terminal with control characters made visible (``\\x1b``): an article's escape sequences
    must not clear the screen or retitle the window when its words are printed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _print_answer(answer: object, as_json: bool) -> None:
    from index.models import Answer

    assert isinstance(answer, Answer)
    if as_json:
        print(answer.model_dump_json(indent=2))
        return
    for notice in answer.notices:
        print(shown(f"note: {notice}"), file=sys.stderr)
    print(shown(answer.text))
    if answer.citations:
        print()
        for c in answer.citations:
            mark = "" if c.verified else "  (UNVERIFIED)"
            number = c.paragraph_id.split("#")[-1]
            where = f"{c.source or 'outlet not stated'}, {c.published_label}"
            print(shown(f"[{c.n}] {c.title} — {where}, ¶{number} ({c.paragraph_id}){mark}"))
    print(f"\n({answer.answerer}, {answer.timings.get('total', 0):.0f} ms)", file=sys.stderr)


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.assistant import Assistant

    assistant = Assistant.from_defaults(_settings(args))
    answer = assistant.ask(args.question, k=args.k, filters=date_filters(args) or None, as_of=args.as_of)
    _print_answer(answer, args.json)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """A terminal conversation; earlier questions are the history of the next one."""
    from qa.assistant import Assistant
    from qa.retriever import QueryError

    assistant = Assistant.from_defaults(_settings(args))
    history: list[object] = []
    print(f"cited chat ({assistant.answerer_name}). Ask about the articles; an empty line or Ctrl-D ends.")
    while True:
        try:
            question = input("\n? ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            answer = assistant.ask(
                question,
                history=history,  # type: ignore[arg-type]
                k=args.k,
                filters=date_filters(args) or None,
                as_of=args.as_of,
            )
        except QueryError as err:
            print(f"error: {err}", file=sys.stderr)
            continue
        if answer.standalone_question and answer.standalone_question != question:
            print(shown(f"(understood as: {answer.standalone_question})"), file=sys.stderr)
        _print_answer(answer, False)
        history.append(answer)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cited", description="Cited answers from news articles.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index articles (.txt, .md, .html files, .jsonl/.json archives, or folders)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the articles folder)")
    p.add_argument("--skip-bad", action="store_true", help="ingest the good files even if some are unreadable")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_index_options(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("status", help="what is indexed, and where")
    p.add_argument("--json", action="store_true")
    add_index_options(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("ask", help="answer one question with citations")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the whole Answer as JSON")
    add_k_option(p)
    p.add_argument("--answerer", choices=get_args(AnswererName))
    add_date_options(p)
    add_index_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="a conversation in the terminal")
    add_k_option(p)
    p.add_argument("--answerer", choices=get_args(AnswererName))
    add_date_options(p)
    add_index_options(p)
    p.set_defaults(func=cmd_chat)

    for name, helptext in EXTRA_COMMANDS.items():
        p = sub.add_parser(name, help=helptext, add_help=False)
        p.set_defaults(func=None, delegate=name)
    return parser


# Commands whose own modules parse their arguments (they have many options of their own).
EXTRA_COMMANDS: dict[str, str] = {
    "retrieve": "ranked passages for a query (no answer)",
    "serve": "the web chat and the REST API on one port",
    "eval": "score answers, retrieval and citations on a question set or SQuAD",
    "bench": "speed and memory, beside a vanilla llama-index pipeline",
    "train-reader": "fine-tune the reader model on SQuAD (long; the shipped weights make this optional)",
}


def _delegate(module: str, function: str = "main") -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        import importlib

        return int(getattr(importlib.import_module(module), function)(argv) or 0)

    return run


DELEGATES: dict[str, Callable[[list[str]], int]] = {
    "retrieve": _delegate("ui.serve", "retrieve_main"),
    "serve": _delegate("ui.serve"),
    "eval": _delegate("eval.cli"),
    "bench": _delegate("eval.bench.cli"),
    "train-reader": _delegate("qa.reader.train_cli"),
}


def main(argv: list[str] | None = None) -> int:
    from index.readers import InputError
    from index.store import IndexUnavailableError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in DELEGATES:
        runner = DELEGATES[argv[0]]
        call: Callable[[], int] = lambda: runner(argv[1:])  # noqa: E731
    else:
        try:
            args = parser.parse_args(argv)
        except SystemExit as stop:  # usage errors: argparse has printed why
            return int(stop.code or 0) if not isinstance(stop.code, str) else EXIT_USER_ERROR
        call = lambda: args.func(args)  # noqa: E731
    try:
        return call()
    except (InputError, IndexUnavailableError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except RuntimeError as err:
        from qa.reader.model import ReaderModelError  # here, not at the top: `cited --help` loads no model code

        if not isinstance(err, ReaderModelError):
            raise
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
