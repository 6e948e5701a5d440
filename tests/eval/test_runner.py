"""Running questions: a fresh conversation each; retrieval scored on the rewritten question, top 10."""

from __future__ import annotations

import pytest

from eval.metrics import RETRIEVAL_DEPTH
from eval.runner import retrieval_ranks, run_questions

pytestmark = pytest.mark.unit

CORPUS = [(f"d#{i}", f"filler {i}") for i in range(12)] + [("d#12", "mosul was retaken by iraqi forces")]


def test_each_question_gets_its_own_history_and_k(record, fake_retriever, fake_assistant) -> None:
    retriever = fake_retriever(CORPUS)
    assistant = fake_assistant(retriever)
    records = [
        record(id="a", question="who retook mosul", evidence=["retaken by iraqi"]),
        record(id="b", question="when?", history=["who retook mosul"], evidence=["retaken by iraqi"]),
    ]
    scores = run_questions(records, assistant, retriever, k=3, progress=False)
    assert assistant.calls == [("who retook mosul", [], 3), ("when?", ["who retook mosul"], 3)]
    # the scoring retrieval searched the standalone question at depth 10
    assert retriever.calls[1] == ("who retook mosul", RETRIEVAL_DEPTH)
    assert retriever.calls[3] == ("who retook mosul when?", RETRIEVAL_DEPTH)
    assert [s.first_hit for s in scores] == [1, 1]
    assert len(scores[0].retrieved) == RETRIEVAL_DEPTH


def test_retrieval_ranks_skip_unanswerable_and_use_given_queries(record, fake_retriever) -> None:
    retriever = fake_retriever(CORPUS)
    records = [
        record(id="a", question="nothing relevant", evidence=["retaken by iraqi"]),
        record(id="u", answerable=False, answers=[], evidence=[]),
    ]
    assert retrieval_ranks(records, {}, retriever, progress=False) == [None]  # the evidence is at rank 13
    assert retrieval_ranks(records, {"a": "mosul retaken"}, retriever, progress=False) == [1]
    assert [q for q, _ in retriever.calls] == ["nothing relevant", "mosul retaken"]


def test_warm_up_asks_once_untimed_and_keeps_the_scores(record, fake_retriever, fake_assistant) -> None:
    retriever = fake_retriever(CORPUS)
    assistant = fake_assistant(retriever)
    records = [record(id="a", question="who retook mosul", evidence=["retaken by iraqi"])]
    scores = run_questions(records, assistant, retriever, progress=False, warm_up=True)
    assert len(assistant.calls) == 2 and len(scores) == 1
    assert run_questions([], assistant, retriever, progress=False, warm_up=True) == []
