"""qa.agreement: which spans give the same answer, and which different ones are rival claims about one event."""

from __future__ import annotations

import pytest

from index.models import Paragraph, ReadSpan, Span
from qa.agreement import ConflictRule, event_overlap, same_answer

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Iraqi forces", "Iraqi troops"),  # the words that differ are plain ones
        ("Nadal", "Rafael Nadal"),  # one holds the other
        ("the Counter Terrorism Service", "Counter Terrorism Service"),
        ("in 1850", "1850"),
    ],
)
def test_spans_that_give_the_same_answer_agree(a: str, b: str) -> None:
    assert same_answer(a, b) and same_answer(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("in 1850 by the mayor", "in 1920 by the mayor"),  # many shared words, a different number
        ("John Smith", "John Doe"),  # a different name
        ("Rafael Nadal", "Daniil Medvedev"),
        ("4.2 million dollars", "6.8 million dollars"),
        ("the river", "a bridge"),
        ("", "Nadal"),
    ],
)
def test_spans_with_a_different_name_or_number_do_not_agree(a: str, b: str) -> None:
    assert not same_answer(a, b) and not same_answer(b, a)


def paragraph(pid: str, text: str) -> Paragraph:
    """One paragraph at offset 0 whose sentences end at each '. '."""
    sentences, start = [], 0
    for part in text.split(". "):
        end = min(start + len(part) + 1, len(text))
        sentences.append(Span(start=start, end=end))
        start = end + 1
    return Paragraph(id=pid, doc_id=pid.split("#")[0], n=1, text=text, start=0, end=len(text), sentences=sentences)


def span_of(para: Paragraph, words: str, score: float, no_answer: float = 0.0) -> ReadSpan:
    start = para.text.index(words)
    return ReadSpan(paragraph_id=para.id, text=words, start=start, end=start + len(words), score=score,
                    no_answer_score=no_answer)  # fmt: skip


RACE_A = paragraph("a#1", "Anna Kowalski won the Portville city marathon on Sunday. Thousands took part.")
RACE_B = paragraph("b#1", "Lena Fischer won the Portville city marathon on Sunday, the organisers said.")
WEATHER = paragraph("c#1", "The weather in Portville was cool. Lena Fischer trained there for years.")


def test_the_overlap_is_measured_around_the_spans_within_their_sentences() -> None:
    a, b = span_of(RACE_A, "Anna Kowalski", 9.0), span_of(RACE_B, "Lena Fischer", 5.0)
    # "won portville city marathon on sunday" (6 words) against the same plus "organisers said": F1 = 12/14
    assert event_overlap(a, RACE_A, b, RACE_B) == pytest.approx(12 / 14)
    assert event_overlap(a, RACE_A, a, RACE_A) == 1.0
    c = span_of(WEATHER, "Lena Fischer", 5.0)
    assert event_overlap(a, RACE_A, c, WEATHER) < 0.3  # another sentence, another event


def test_the_rule_tells_rival_claims_from_misreadings_and_agreement() -> None:
    rule = ConflictRule(same_event=0.5, gap=0.5)
    best = span_of(RACE_A, "Anna Kowalski", 9.0)
    assert rule.relation(best, RACE_A, span_of(RACE_B, "Lena Fischer", 5.0), RACE_B) == "conflict"  # same event
    assert rule.relation(best, RACE_A, span_of(WEATHER, "Lena Fischer", 5.0), WEATHER) is None  # far less sure
    assert rule.relation(best, RACE_A, span_of(WEATHER, "Lena Fischer", 8.8), WEATHER) == "conflict"  # as sure
    assert rule.relation(best, RACE_A, span_of(RACE_A, "Anna Kowalski", 2.0), RACE_A) == "agree"
    never = ConflictRule(same_event=1.01, gap=0.0)
    assert never.relation(best, RACE_A, span_of(RACE_B, "Lena Fischer", 5.0), RACE_B) is None


def test_a_rule_checks_its_settings() -> None:
    with pytest.raises(ValueError, match="gap"):
        ConflictRule(same_event=0.5, gap=-1.0)
    with pytest.raises(ValueError, match="same_event"):
        ConflictRule(same_event=-0.1, gap=1.0)
