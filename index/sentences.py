"""Sentence boundaries with offsets.

Quotes are cited sentence by sentence, so a boundary must never fall inside "Jan. 21" or "U.S.-led", and the
offsets must map back to the original text exactly. A rule-based splitter does that deterministically and in
microseconds; spaCy's parser is slower and moves boundaries when its model changes.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    [
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "cpl",
        "pvt",
        "adm",
        "gov",
        "sen",
        "rep",
        "rev",
        "st",
        "mt",
        "ft",
        "no",
        "nos",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "jr",
        "sr",
        "approx",
        "est",
        "fig",
        "al",
        "dept",
        "univ",
    ]
)

# A candidate boundary: sentence-final punctuation, optional closing quotes/brackets, then whitespace.
# A "sentence" longer than this is a run of text without sentence punctuation (a pasted table, a wall of words): it is
# cut at the last space before the limit, so that a quote, a chunk and a reader's window stay bounded.
MAX_SENTENCE_CHARS = 600

_BOUNDARY = re.compile(r"""[.!?]+["'”’)\]]*(?=\s+)""")
_NEXT_START = re.compile(r"""\s+["'“‘(\[]*[A-Z0-9]""")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the '.' at `dot` ends an abbreviation or an initial rather than a sentence."""
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalpha() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot]
    if not word:
        return False
    if word.lower() in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isupper():  # an initial: "George W. Bush"
        return True
    return "." in word  # "U.S.", "e.g."


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence (start, end) pairs in `text`, shifted by `offset`, with surrounding whitespace excluded."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        nxt = _NEXT_START.match(text, end)
        if nxt is None or _is_abbreviation(text, match.start()):
            continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    result = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        for a, b in _bounded(text, s, e):
            result.append((a + offset, b + offset))
    return result


def _bounded(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut into pieces of at most MAX_SENTENCE_CHARS, at whitespace where there is any."""
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + 1, start + MAX_SENTENCE_CHARS + 1)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces
