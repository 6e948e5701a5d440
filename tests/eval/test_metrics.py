"""Every metric on hand-made cases small enough to check by hand."""

from __future__ import annotations

import pytest

from eval.metrics import (
    ANSWER_KEYS,
    RETRIEVAL_KEYS,
    by_category,
    contains_answer,
    exact_match,
    f1_score,
    first_hit_rank,
    hit_curve,
    percentile,
    retrieval_metrics,
    retrieval_scores,
    score_question,
    section_keys,
    summarize,
)

pytestmark = pytest.mark.unit


# --- SQuAD EM and F1
def test_exact_match_normalises_and_takes_the_best_gold() -> None:
    assert exact_match("the Denver Broncos.", ["Denver Broncos"]) == 1.0
    assert exact_match("Broncos", ["Denver Broncos", "Broncos"]) == 1.0
    assert exact_match("Denver", ["Denver Broncos"]) == 0.0


def test_exact_match_missing_prediction_scores_zero() -> None:
    assert exact_match(None, ["x"]) == 0.0
    assert exact_match("x", []) == 0.0


def test_f1_partial_overlap() -> None:
    # pred {denver, broncos, team} vs gold {denver, broncos}: P = 2/3, R = 1, F1 = 0.8
    assert f1_score("the Denver Broncos team", ["Denver Broncos"]) == pytest.approx(0.8)


def test_f1_takes_max_over_golds_and_counts_repeated_tokens_once_each() -> None:
    assert f1_score("Broncos", ["Denver Broncos", "Broncos"]) == 1.0
    assert f1_score("a a b", ["b"]) == 1.0  # "a" is an article, so the prediction is just [b]
    # repeated tokens: pred [x, x], gold [x] → common 1, P = 1/2, R = 1, F1 = 2/3
    assert f1_score("x x", ["x"]) == pytest.approx(2 / 3)


def test_f1_edge_cases() -> None:
    assert f1_score(None, ["x"]) == 0.0
    assert f1_score("", ["x"]) == 0.0
    assert f1_score("the", ["a"]) == 0.0  # both normalise to nothing: no common tokens, as in the official script
    assert f1_score("“Daesh”", ["Daesh"]) == 1.0


def test_contains_answer_matches_whole_words_after_normalisation() -> None:
    text = "Iraqi forces retook eastern Mosul in January [1]."
    assert contains_answer(text, ["the Iraqi Forces"]) == 1.0
    assert contains_answer(text, ["nothing", "eastern Mosul"]) == 1.0
    assert contains_answer(text, ["Mos"]) == 0.0  # not a whole word
    assert contains_answer(text, ["1"]) == 0.0  # the [1] marker is not an answer
    assert contains_answer(text, ["the"]) == 0.0  # a gold answer that normalises to nothing matches nothing
    assert contains_answer("", ["x"]) == 0.0


# --- retrieval
def test_first_hit_rank() -> None:
    texts = ["nothing here", "Iraq’s forces", "Iraq's forces again"]
    assert first_hit_rank(texts, ["iraq's forces"]) == 2
    assert first_hit_rank(texts, ["absent"]) is None
    assert first_hit_rank([], ["x"]) is None


def test_retrieval_scores_per_question() -> None:
    assert retrieval_scores(3) == {
        "hit@1": 0.0,
        "hit@3": 1.0,
        "hit@5": 1.0,
        "hit@10": 1.0,
        "mrr": pytest.approx(1 / 3),
    }
    assert retrieval_scores(None) == dict.fromkeys(RETRIEVAL_KEYS, 0.0)


def test_retrieval_metrics_and_curve() -> None:
    ranks = [1, 4, None, 10]
    metrics = retrieval_metrics(ranks)
    assert metrics["hit@1"] == 0.25
    assert metrics["hit@3"] == 0.25
    assert metrics["hit@5"] == 0.5
    assert metrics["hit@10"] == 0.75
    assert metrics["mrr"] == pytest.approx((1 + 1 / 4 + 0 + 1 / 10) / 4)
    curve = hit_curve(ranks)
    assert list(curve) == list(range(1, 11))
    assert curve[4] == 0.5 and curve[9] == 0.5 and curve[10] == 0.75
    values = [v for v in curve.values() if v is not None]
    assert values == sorted(values) and len(values) == 10  # hit@k never decreases with k


def test_retrieval_metrics_empty_is_none() -> None:
    assert retrieval_metrics([]) == dict.fromkeys(RETRIEVAL_KEYS)
    assert set(hit_curve([]).values()) == {None}


# --- one question
def test_score_question(record, answer, passages, citation) -> None:
    rec = record(answers=["Iraqi forces"], evidence=["Iraqi forces retook eastern Mosul"])
    top10 = passages(("a#1", "Unrelated."), ("b#2", "Iraqi forces retook eastern Mosul in January."))
    ans = answer(
        text="Iraqi forces retook it [1][2].",
        short="Iraqi forces",
        citations=[citation(1, "b#2"), citation(2, "a#1")],
        passages=top10,
        standalone="who retook Mosul?",
    )
    score = score_question(rec, ans, top10)
    assert score.first_hit == 2
    assert score.retrieved == ["a#1", "b#2"]
    assert score.standalone_question == "who retook Mosul?"
    assert [c.correct for c in score.citations] == [True, False]
    metrics = score.metrics()
    assert metrics["retrieval"]["hit@1"] == 0.0 and metrics["retrieval"]["hit@3"] == 1.0
    assert metrics["retrieval"]["mrr"] == 0.5
    assert metrics["answer"] == {"contains": 1.0, "short_em": 1.0, "short_f1": 1.0, "sources_differ": 0.0}
    assert metrics["citations"] == {"precision": 0.5, "recall": 1.0}
    differing = score_question(rec, ans.model_copy(update={"conflicting": True}), top10)
    assert differing.metrics()["answer"]["sources_differ"] == 1.0  # on the bundled sets, a false notice
    assert metrics["refusal"] == {"unanswerable_refused": None, "false_refusal_rate": 0.0}
    assert metrics["latency_ms"] == {"retrieve": 10.0, "answer": 5.0, "total": 15.0}


def test_citation_paragraph_falls_back_to_retrieved_passages_then_to_the_quote(
    record, answer, passages, citation
) -> None:
    rec = record(evidence=["the evidence"])
    retrieved = passages(("r#1", "Here is the evidence."))
    ans = answer(
        text="t",
        citations=[
            citation(1, "r#1"),
            citation(2, "gone#9", quote="quoting The Evidence itself"),
            citation(3, "x#1"),
        ],
    )
    score = score_question(rec, ans, retrieved)
    assert [c.correct for c in score.citations] == [True, True, False]


def test_answer_passages_take_precedence_over_retrieved(record, answer, passages, citation) -> None:
    rec = record(evidence=["gold"])
    ans = answer(text="t", citations=[citation(1, "p#1")], passages=passages(("p#1", "gold text")))
    score = score_question(rec, ans, passages(("p#1", "stale text")))
    assert score.citations[0].correct


def test_missing_short_answer_scores_zero(record, answer) -> None:
    score = score_question(record(answers=["x"]), answer(text="x is it", short=None), [])
    assert score.contains == 1.0 and score.short_em == 0.0 and score.short_f1 == 0.0


def test_a_refusal_never_contains_the_answer(record, answer) -> None:
    score = score_question(
        record(answers=["Mosul"]), answer(text="The articles don't say who took Mosul.", refused=True), []
    )
    assert score.contains == 0.0 and score.metrics()["refusal"]["false_refusal_rate"] == 1.0


def test_unanswerable_question_metrics(record, answer) -> None:
    score = score_question(record(answerable=False, answers=[], evidence=[]), answer(text="no", refused=True), [])
    metrics = score.metrics()
    assert score.first_hit is None
    assert metrics["retrieval"] == dict.fromkeys(RETRIEVAL_KEYS)
    assert metrics["answer"] == dict.fromkeys(ANSWER_KEYS)
    assert metrics["citations"] == {"precision": None, "recall": None}
    assert metrics["refusal"] == {"unanswerable_refused": 1.0, "false_refusal_rate": None}


# --- aggregates
def test_percentile_interpolates_like_numpy() -> None:
    numpy = pytest.importorskip("numpy")
    values = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0]
    for q in (0, 50, 95, 100):
        assert percentile(values, q) == pytest.approx(float(numpy.percentile(values, q)))
    assert percentile([4.0], 95) == 4.0
    assert percentile([], 50) is None


@pytest.fixture
def scored(record, answer, passages, citation):
    """Four questions: a clean hit, a miss, a false refusal, a correctly refused unanswerable."""
    good = passages(("d#1", "Gold fact one."), ("d#2", "Other."))
    return [
        score_question(
            record(id="a", answers=["fact"], evidence=["gold fact one"], category="who"),
            answer(
                text="Gold fact one [1] [2].",
                short="fact",
                citations=[citation(1, "d#1"), citation(2, "d#2")],
                passages=good,
                timings={"retrieve": 10.0, "answer": 20.0, "total": 30.0},
            ),
            good,
        ),
        score_question(
            record(id="b", answers=["two"], evidence=["gold fact two"], category="who"),
            answer(
                text="Other [1].",
                short="other",
                citations=[citation(1, "d#2")],
                passages=good,
                timings={"retrieve": 20.0, "answer": 40.0, "total": 60.0},
            ),
            good,
        ),
        score_question(
            record(id="c", answers=["one"], evidence=["Other."], category="what"),
            answer(
                text="The articles don't say.",
                refused=True,
                timings={"retrieve": 30.0, "answer": 60.0, "total": 90.0},
            ),
            good,
        ),
        score_question(
            record(id="d", answerable=False, answers=[], evidence=[], category="unanswerable"),
            answer(
                text="The articles don't say.",
                refused=True,
                timings={"retrieve": 40.0, "answer": 80.0, "total": 120.0},
            ),
            good,
        ),
    ]


def test_summarize_has_exactly_the_documented_keys(scored) -> None:
    summary = summarize(scored)
    assert {name: tuple(section) for name, section in summary.items()} == dict(section_keys())


def test_summarize_values(scored) -> None:
    s = summarize(scored)
    # ranks over answerable questions: a → 1, b → None, c → 2
    assert s["retrieval"]["hit@1"] == pytest.approx(1 / 3)
    assert s["retrieval"]["hit@3"] == pytest.approx(2 / 3)
    assert s["retrieval"]["mrr"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert s["answer"]["contains"] == pytest.approx(1 / 3)
    assert s["answer"]["short_em"] == pytest.approx(1 / 3)
    # citations on answerable questions: a has 2 (1 correct), b has 1 (wrong), c has none → 1/3 of citations
    assert s["citations"]["precision"] == pytest.approx(1 / 3)
    assert s["citations"]["recall"] == pytest.approx(1 / 3)
    assert s["refusal"] == {"unanswerable_refused": 1.0, "false_refusal_rate": pytest.approx(1 / 3)}
    assert s["latency_ms"]["total_p50"] == 75.0
    assert s["latency_ms"]["retrieve_p95"] == pytest.approx(38.5)
    assert s["counts"] == {"questions": 4, "answerable": 3, "unanswerable": 1}


def test_summarize_empty_denominators_are_none(scored) -> None:
    only_unanswerable = summarize(scored[3:])
    assert set(only_unanswerable["retrieval"].values()) == {None}
    assert set(only_unanswerable["answer"].values()) == {None}
    assert only_unanswerable["citations"] == {"precision": None, "recall": None}
    assert only_unanswerable["refusal"]["false_refusal_rate"] is None
    nothing = summarize([])
    assert nothing["counts"] == {"questions": 0, "answerable": 0, "unanswerable": 0}
    assert set(nothing["latency_ms"].values()) == {None}


def test_by_category_splits_and_keeps_order(scored) -> None:
    categories = by_category(scored)
    assert list(categories) == ["who", "what", "unanswerable"]
    assert categories["who"]["counts"]["questions"] == 2
    assert categories["what"]["refusal"]["false_refusal_rate"] == 1.0
    assert categories["unanswerable"]["retrieval"]["hit@5"] is None
