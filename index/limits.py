"""Bounds and names every layer shares, each defined once: how many passages a query may ask for, which keys
filter retrieval, the retrieval modes, how long a question may be, and what counts as a blank one.

The HTTP schema, the retriever and the assistant all read them from here, so the documented limits are the
enforced ones.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache
from typing import Literal, get_args

MAX_K = 50  # passages per query
DATE_FILTER_KEYS = ("since", "until")  # article days, both ends included
FILTER_KEYS = ("doc_id", "source", *DATE_FILTER_KEYS)
Mode = Literal["fused", "dense", "keyword"]  # how the retriever ranks: both searches fused, or one of them
MODES: tuple[Mode, ...] = get_args(Mode)
# What runs a model: torch (sentence-transformers, transformers), or its ONNX export (index.onnx_export) at fp32 or
# with int8 weights. The embedding model's is `Encoder`; the reader's, the same choice.
Runtime = Literal["onnx", "onnx-int8", "torch"]
RUNTIMES: tuple[Runtime, ...] = get_args(Runtime)
Encoder = Runtime
ENCODERS = RUNTIMES
# The reader may also cascade: int8 reads every passage, fp32 re-reads the ones int8 leaves contested
# (qa.reader.cascade).
ReaderRuntime = Literal["onnx", "onnx-int8", "onnx-cascade", "torch"]
MAX_QUERY_CHARS = 2_000  # a retrieval query over HTTP
MAX_QUESTION_CHARS = 20_000  # hard limit over HTTP; beyond settings.max_question_chars a question is truncated
MAX_HISTORY_TURNS = 100


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc")


@cache
def visible_pattern() -> str:
    """A regex that finds one visible character: anything but whitespace, controls and format characters
    (zero-width spaces, joiners, BOMs). The API schema publishes it as the `pattern` of
    questions and queries, and `is_blank` uses the same predicate, so the schema and the check cannot disagree."""
    ranges: list[list[int]] = []
    for code in range(sys.maxunicode + 1):
        if not 0xD800 <= code <= 0xDFFF and _invisible(chr(code)):  # surrogates are no characters of their own
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    escape = "\\u{:04x}".format
    wide = "\\U{:08x}".format
    parts = []
    for low, high in ranges:
        fmt = escape if high <= 0xFFFF else wide
        parts.append(fmt(low) if low == high else f"{fmt(low)}-{fmt(high)}")
    return f"[^{''.join(parts)}]"


def is_blank(text: object) -> bool:
    """No visible character: empty, whitespace, or only invisible ones (zero-width spaces, joiners, controls).
    The same predicate as `visible_pattern`, without building the pattern (which takes a third of a second)."""
    return not isinstance(text, str) or all(_invisible(ch) for ch in text)
