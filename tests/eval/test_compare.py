"""The comparison run: every retrieval mode and both answerers, on the same queries."""

from __future__ import annotations

import pytest

from eval.compare import ANSWERERS, RETRIEVAL_MODES, recorded_rules, run_comparison
from eval.metrics import RETRIEVAL_KEYS, section_keys, summarize
from eval.runner import run_questions

pytestmark = pytest.mark.unit

CORPUS = [("d#1", "the dam was retaken. villages were freed."), ("d#2", "mosul was retaken by iraqi forces")]


def test_comparison_shape_and_reuse(record, fake_retriever, fake_assistant) -> None:
    records = [
        record(id="a", question="who retook mosul", answers=["mosul"], evidence=["retaken by iraqi"]),
        record(id="b", question="unknowable thing", answerable=False, answers=[], evidence=[]),
    ]
    made: list[str] = []

    def make_retriever(mode: str):  # type: ignore[no-untyped-def]
        made.append(mode)
        return fake_retriever(CORPUS, mode=mode)

    def make_assistant(name: str, retriever):  # type: ignore[no-untyped-def]
        raise AssertionError("the extractive run is reused from the main run, not repeated")

    main_retriever = fake_retriever(CORPUS)
    main = run_questions(records, fake_assistant(main_retriever), main_retriever, k=2, progress=False)
    result = run_comparison(records, main, "extractive", 2, make_retriever, make_assistant, progress=False)

    assert list(result) == ["retrieval", "answerers"]
    assert list(result["retrieval"]) == list(RETRIEVAL_MODES)
    assert all(tuple(m) == RETRIEVAL_KEYS for m in result["retrieval"].values())
    assert list(result["answerers"]) == list(ANSWERERS)
    assert all({s: tuple(v) for s, v in m.items()} == dict(section_keys()) for m in result["answerers"].values())
    assert result["answerers"]["extractive"] == summarize(main)
    assert result["retrieval"]["fused"]["hit@1"] == 1.0
    assert result["retrieval"]["keyword"]["hit@1"] == 0.0  # the fake keyword mode reverses the order
    assert result["retrieval"]["dense"]["hit@10"] == 1.0
    assert "fused" in made and "dense" in made and "keyword" in made
    baseline = result["answerers"]["first-sentence"]
    assert baseline["answer"]["short_em"] == 0.0  # the baseline never gives a short answer
    assert baseline["refusal"]["unanswerable_refused"] == 0.0  # and never refuses when it retrieved something


def test_a_non_extractive_main_run_builds_the_extractive_assistant(record, fake_retriever, fake_assistant) -> None:
    records = [record(id="a", question="who retook mosul", answers=["mosul"], evidence=["retaken by iraqi"])]
    built: list[str] = []

    def make_assistant(name: str, retriever):  # type: ignore[no-untyped-def]
        built.append(name)
        return fake_assistant(retriever)

    main_retriever = fake_retriever(CORPUS)
    main = run_questions(records, fake_assistant(main_retriever), main_retriever, progress=False)
    result = run_comparison(
        records,
        main,
        "openai-like",
        None,
        lambda m: fake_retriever(CORPUS, m),
        make_assistant,
        progress=False,
    )
    assert built == ["extractive"]
    assert result["answerers"]["extractive"]["counts"]["questions"] == 1


def test_the_recorded_rule_answerer_joins_the_comparison_of_a_bundled_set(
    record, fake_retriever, fake_assistant
) -> None:
    """Its code is gone; its figures at its last commit are a row beside the answerers that run now."""
    records = [record(id="a", question="who retook mosul", answers=["mosul"], evidence=["retaken by iraqi"])]
    main_retriever = fake_retriever(CORPUS)
    main = run_questions(records, fake_assistant(main_retriever), main_retriever, progress=False)
    result = run_comparison(
        records, main, "extractive", 2, lambda m: fake_retriever(CORPUS, m),
        lambda name, r: fake_assistant(r), progress=False, dataset_file="eval/datasets/articles-heldout2.jsonl",
    )  # fmt: skip
    label, recorded = recorded_rules("articles-heldout2.jsonl")  # type: ignore[misc]
    assert list(result["answerers"]) == [*ANSWERERS, label] and label == "rules @137deea (recorded)"
    assert result["answerers"][label] == recorded
    assert recorded["answer"]["contains"] == pytest.approx(0.742, abs=1e-3)  # the README's held-out 2 figure
    assert set(recorded) >= {"answer", "citations", "refusal"}
    assert recorded_rules("my-own-questions.jsonl") is None  # no recorded row for a set it never ran on
