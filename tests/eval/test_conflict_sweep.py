"""Fitting the conflict gap: a wider gap flags more of the conflicts read, and more false notices; the fit keeps
false notices under the bound."""

from __future__ import annotations

import pytest

from eval.conflict_sweep import MAX_FALSE_DIFFER, ReadQuestion, fit, outcome, sweep
from index.models import ReadSpan

pytestmark = pytest.mark.unit


def span(pid: str, text: str, score: float) -> ReadSpan:
    return ReadSpan(paragraph_id=pid, text=text, start=0, end=len(text), score=score, no_answer_score=0.0)


def twin_question(gap_needed: float) -> ReadQuestion:
    """The true article's span leads; the twin's different claim is `gap_needed` less sure."""
    spans = [span("a#1", "Maria Lopez", 10.0), span("t#1", "Hans Weber", 10.0 - gap_needed)]
    return ReadQuestion(spans, {"a#1": "a", "t#1": "t"}, article="a", twin="t")


def plain_question(other_gap: float) -> ReadQuestion:
    spans = [span("a#1", "1998", 8.0), span("b#1", "a river", 8.0 - other_gap)]
    return ReadQuestion(spans, {"a#1": "a", "b#1": "b"}, article="a", twin=None)


def test_outcome_counts_a_notice_only_when_it_names_both_claims() -> None:
    assert outcome(twin_question(0.5), gap=1.0) == (True, True)
    assert outcome(twin_question(2.0), gap=1.0) == (True, False)
    assert outcome(plain_question(0.5), gap=1.0) == (True, True)  # a false "sources differ"
    agreeing = ReadQuestion([span("a#1", "Maria Lopez", 9), span("t#1", "Maria Lopez", 9)], {"a#1": "a", "t#1": "t"},
                            article="a", twin="t")  # fmt: skip
    assert outcome(agreeing, gap=5.0) == (True, False)
    assert outcome(ReadQuestion([], {}, article="a", twin="t"), gap=1.0) == (False, False)


def test_the_fit_flags_the_most_conflicts_within_the_false_notice_bound() -> None:
    items = [twin_question(g) for g in (0.1, 0.4, 0.9, 1.9, 3.5)] + [plain_question(g) for g in [5.0] * 98 + [1.2, 2.5]]
    table = sweep(items, gaps=(0.5, 1.0, 2.0, 4.0))
    assert [row["flag_rate"] for row in table] == [0.4, 0.6, 0.8, 1.0]
    assert [row["false_differ"] for row in table] == [0.0, 0.0, 0.01, 0.02]
    best = fit(table)
    assert best["gap"] == 4.0 and best["false_differ"] <= MAX_FALSE_DIFFER
    assert fit([{**row, "false_differ": 0.5} for row in table])["gap"] == 0.5  # nothing allowed: the first row
