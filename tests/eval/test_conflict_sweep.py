"""Fitting the conflict rule: a looser rule flags more of the conflicts read, and more false notices; the fit keeps
false notices under the bound, and plain questions whose answer a twin changed are not counted as plain."""

from __future__ import annotations

import pytest

from eval.conflict_sweep import MAX_FALSE_DIFFER, ReadQuestion, _plain_questions, fit, outcome, sweep
from eval.counterfactual import CounterfactualQuestion
from index.models import Paragraph, ReadSpan, Span
from qa.agreement import ConflictRule

pytestmark = pytest.mark.unit


def passage(pid: str, text: str) -> Paragraph:
    stem = pid.split("#")[0]
    return Paragraph(id=pid, doc_id=stem, path=f"/corpus/{stem}.txt", n=1, text=text, start=0, end=len(text),
                     sentences=[Span(start=0, end=len(text))])  # fmt: skip


def span(para: Paragraph, words: str, score: float) -> ReadSpan:
    start = para.text.index(words)
    return ReadSpan(paragraph_id=para.id, text=words, start=start, end=start + len(words), score=score,
                    no_answer_score=0.0)  # fmt: skip


def question(pairs: list[tuple[Paragraph, str, float]], twin: str | None) -> ReadQuestion:
    spans = [span(p, words, score) for p, words, score in pairs]
    return ReadQuestion(confident=spans, paragraphs={p.id: p for p, _, _ in pairs}, article="a", twin=twin)


TRUE = passage("a#1", "Maria Lopez won the regional chess title in Porto last year.")
TWIN = passage("t#1", "Hans Weber won the regional chess title in Porto last year.")
OTHER = passage("b#1", "Hans Weber coaches the juniors of a club near the river.")


def twin_question(gap_needed: float) -> ReadQuestion:
    """The true article's span leads; the twin's different claim is `gap_needed` less sure."""
    return question([(TRUE, "Maria Lopez", 10.0), (TWIN, "Hans Weber", 10.0 - gap_needed)], twin="t")


def plain_question(other_gap: float) -> ReadQuestion:
    """A different span in another article about something else, `other_gap` less sure."""
    return question([(TRUE, "Maria Lopez", 8.0), (OTHER, "Hans Weber", 8.0 - other_gap)], twin=None)


def test_outcome_counts_a_notice_only_when_it_names_both_claims() -> None:
    by_gap = ConflictRule(same_event=1.01, gap=1.0)
    assert outcome(twin_question(0.5), by_gap) == (True, True)
    assert outcome(twin_question(2.0), by_gap) == (True, False)
    assert outcome(twin_question(2.0), ConflictRule(same_event=0.9, gap=0.0)) == (True, True)  # the same event
    assert outcome(plain_question(0.5), by_gap) == (True, True)  # a false "sources differ"
    assert outcome(plain_question(0.5), ConflictRule(same_event=0.9, gap=0.0)) == (True, False)
    agreeing = question([(TRUE, "Maria Lopez", 9), (passage("t#1", "Maria Lopez won."), "Maria Lopez", 9)], twin="t")
    assert outcome(agreeing, ConflictRule(same_event=0.0, gap=5.0)) == (True, False)
    assert outcome(ReadQuestion(confident=[], paragraphs={}, article="a", twin="t"), by_gap) == (False, False)


def test_the_fit_flags_the_most_conflicts_within_the_false_notice_bound() -> None:
    items = [twin_question(g) for g in (0.1, 0.4, 0.9, 1.9, 3.5)] + [plain_question(g) for g in [5.0] * 98 + [1.2, 2.5]]
    rules = [ConflictRule(same_event=1.01, gap=g) for g in (0.5, 1.0, 2.0, 4.0)]
    table = sweep(items, rules)
    assert [row["flag_rate"] for row in table] == [0.4, 0.6, 0.8, 1.0]
    assert [row["false_differ"] for row in table] == [0.0, 0.0, 0.01, 0.02]
    best = fit(table)
    assert best["gap"] == 4.0 and best["false_differ"] <= MAX_FALSE_DIFFER
    strictest = fit([{**row, "false_differ": 0.5 + row["gap"] / 100} for row in table])
    assert strictest["gap"] == 0.5  # nothing allowed: the rule with the fewest false notices
    by_event = sweep(items, [ConflictRule(same_event=0.9, gap=0.0), ConflictRule(same_event=0.3, gap=0.0)])
    assert fit(by_event)["same_event"] == 0.3  # both flag every twin and nothing else: the looser one


def test_plain_questions_leave_out_those_whose_answer_a_twin_changed() -> None:
    context = "Maria Lopez won the title in 2019 in Porto."
    data = {"data": [{"title": "Chess", "paragraphs": [{"context": context, "qas": [
        {"id": "q1", "question": "Who won the title?", "answers": [{"text": "Maria Lopez", "answer_start": 0}]},
        {"id": "q2", "question": "Who was champion?", "answers": [{"text": "Maria Lopez", "answer_start": 0}]},
        {"id": "q3", "question": "Where was the title won?", "answers": [{"text": "Porto", "answer_start": 37}]},
    ]}]}]}  # fmt: skip
    twin = CounterfactualQuestion("q1", "Who won the title?", ["Maria Lopez"], "Hans Weber", "chess", "twin_0", context)
    assert [q for q, _ in _plain_questions(data, [twin], 10)] == ["Where was the title won?"]
