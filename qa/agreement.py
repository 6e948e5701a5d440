"""When two passages' answers say the same thing, and when they contradict each other (#18).

Two spans *agree* when they give the same answer: the words one has and the other lacks carry no name and no
number ("Iraqi forces" ~ "Iraqi troops", "Nadal" ~ "Rafael Nadal"), so "in 1850 by the mayor" and "in 1920 by
the mayor" do not agree however many words they share. Two confident spans that do not agree *conflict* when the
passages report the same event, told by the words around the answer: the quoted sentences with the spans taken out
share at least `same_event` of their words (token F1), as "[Nadal] defeated Djokovic in the final" and "[Medvedev]
defeated Djokovic in the final" do, or when the other span shares no word with the best one and is about as sure of
itself (score and margin within `gap`). Both are named settings, fitted by `eval.conflict_sweep` on SQuAD-train
counterfactuals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from index.models import Paragraph, ReadSpan
from qa.answer_text import normalize_answer, token_f1

AGREE_F1 = 0.5  # spans that agree share at least this much (SQuAD token F1) besides differing only in plain words
Relation = Literal["agree", "conflict"]
_WORD = re.compile(r"\S+")


def _words(text: str) -> dict[str, bool]:
    """Each normalised word of `text`, and whether it marks a claim (written with a capital or a digit)."""
    out: dict[str, bool] = {}
    for raw in _WORD.findall(text):
        for word in normalize_answer(raw).split():
            out[word] = out.get(word, False) or raw.lstrip("\"'“‘(")[:1].isupper() or any(c.isdigit() for c in raw)
    return out


def same_answer(a: str, b: str) -> bool:
    """Whether two spans give the same answer: one's words hold the other's, or they overlap (token F1 at least
    `AGREE_F1`) and every word only one of them has is a plain lower-case word, not a name or a number."""
    words_a, words_b = _words(a), _words(b)
    if not words_a or not words_b:
        return False
    if words_a.keys() <= words_b.keys() or words_b.keys() <= words_a.keys():
        return True
    marked = any(words_a.get(w) or words_b.get(w) for w in words_a.keys() ^ words_b.keys())
    return not marked and token_f1(a, b) >= AGREE_F1


def quote_bounds(paragraph: Paragraph, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) of the paragraph that hold [start, end): what is quoted around an answer span."""
    inside = [s for s in paragraph.sentences if s.start < end and start < s.end]
    if not inside:
        return paragraph.start, paragraph.end
    return inside[0].start, inside[-1].end


def _surroundings(paragraph: Paragraph, span: ReadSpan) -> str:
    """The quoted sentence(s) of a span with the span's own words taken out."""
    start, end = quote_bounds(paragraph, span.start, span.end)
    return paragraph.quote(start, span.start) + " " + paragraph.quote(span.end, end)


def event_overlap(best: ReadSpan, best_paragraph: Paragraph, other: ReadSpan, other_paragraph: Paragraph) -> float:
    """How much the two quotes say the same besides their answers: token F1 of their words around the spans."""
    return token_f1(_surroundings(best_paragraph, best), _surroundings(other_paragraph, other))


@dataclass(frozen=True)
class ConflictRule:
    """What makes another passage's different span a rival claim rather than a misreading (see the docstring)."""

    same_event: float  # quotes sharing at least this token F1 around their spans report the same event (> 1: never)
    gap: float  # or: the other span's score and margin are within this of the best one's

    def __post_init__(self) -> None:
        if self.gap < 0 or self.same_event < 0:
            raise ValueError(f"a conflict rule needs gap >= 0 and same_event >= 0, not {self}")

    def relation(self, best: ReadSpan, best_paragraph: Paragraph, other: ReadSpan, other_paragraph: Paragraph
                 ) -> Relation | None:  # fmt: skip
        """ "agree", "conflict", or None for a span that neither says the same nor rivals the answer."""
        if same_answer(best.text, other.text):
            return "agree"
        sure_alike = best.score - other.score <= self.gap and best.margin - other.margin <= self.gap
        if sure_alike and token_f1(best.text, other.text) == 0.0:
            return "conflict"
        if event_overlap(best, best_paragraph, other, other_paragraph) >= self.same_event:
            return "conflict"
        return None
