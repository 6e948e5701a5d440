"""The `cited` command line.

Heavy libraries (torch, Chroma, Gradio, llama-index) are imported inside each command, so `cited status` or a
usage error answers at once and `cited ask` pays only for what answering needs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from index.settings import Settings

EXIT_USER_ERROR = 2


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


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000 (CITED_CHROMA_URL)")
    parser.add_argument("--index-dir", type=Path, help="the index folder (CITED_INDEX_DIR)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cited", description="Cited answers from news articles.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index articles (.txt, .md, .html files or folders)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the articles folder)")
    p.add_argument("--skip-bad", action="store_true", help="ingest the good files even if some are unreadable")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("status", help="what is indexed, and where")
    p.add_argument("--json", action="store_true")
    _common(p)
    p.set_defaults(func=cmd_status)

    for name, helptext in EXTRA_COMMANDS.items():
        p = sub.add_parser(name, help=helptext, add_help=False)
        p.set_defaults(func=None, delegate=name)
    return parser


# Commands whose own modules parse their arguments (they have many options of their own).
EXTRA_COMMANDS: dict[str, str] = {}
DELEGATES: dict[str, Callable[[list[str]], int]] = {}


def main(argv: list[str] | None = None) -> int:
    from index.readers import InputError
    from index.store import IndexUnavailableError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in DELEGATES:
        runner = DELEGATES[argv[0]]
        call: Callable[[], int] = lambda: runner(argv[1:])  # noqa: E731
    else:
        args = parser.parse_args(argv)
        call = lambda: args.func(args)  # noqa: E731
    try:
        return call()
    except (InputError, IndexUnavailableError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
