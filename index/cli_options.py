"""Command-line options the `cited` commands share, each defined once: the index they work on, the passage
count `k` (bounded by `index.limits.MAX_K`) and the exit code for an error the user can fix."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from index.limits import MAX_K

EXIT_USER_ERROR = 2  # argparse's own code for bad arguments; every command uses it for input it refuses


def add_index_options(parser: argparse.ArgumentParser) -> None:
    """`--index-dir` and `--chroma-url`: which index a command reads or writes (Settings.index_dir/chroma_url)."""
    parser.add_argument("--index-dir", type=Path, help="the index folder (CITED_INDEX_DIR)")
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000 (CITED_CHROMA_URL)")


def passage_count(text: str) -> int:
    """An argparse type for `k`: an integer 1..MAX_K, refused with the bound in the message otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"k must be a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_K:
        raise argparse.ArgumentTypeError(f"k must be between 1 and {MAX_K}, got {value}")
    return value


def add_k_option(parser: argparse.ArgumentParser, what: str = "passages to read") -> None:
    parser.add_argument("-k", "--k", type=passage_count, help=f"{what}, 1..{MAX_K} (default: CITED_TOP_K)")


def day(text: str) -> date:
    """An argparse type for a day: ISO 8601 (2024-03-01), refused with an example otherwise."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"give a day as YYYY-MM-DD, e.g. 2024-03-01, not {text!r}") from None


def add_date_options(parser: argparse.ArgumentParser) -> None:
    """`--since`/`--until` (article days, both ends included; undated articles are left out) and `--as-of`."""
    parser.add_argument("--since", type=day, help="only articles published on or after this day (YYYY-MM-DD)")
    parser.add_argument("--until", type=day, help="only articles published on or before this day")
    parser.add_argument(
        "--as-of", type=day, help='the day "this week" and "yesterday" count from (default: the newest article\'s)'
    )


def date_filters(args: argparse.Namespace) -> dict[str, Any]:
    """The retriever's date filters from `add_date_options`' arguments."""
    return {key: getattr(args, key) for key in ("since", "until") if getattr(args, key, None) is not None}
