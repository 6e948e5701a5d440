"""Side-by-side runs: which retrieval mode finds the evidence, and what the extractive answerer adds to a
first-sentence baseline.

Every contender is asked the same queries: the retrieval modes search with the main run's standalone
questions, and the baseline reuses them as its follow-up rewrite, so the differences come from the component
being compared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eval.baselines import FirstSentenceAnswerer
from eval.datasets import EvalRecord
from eval.metrics import QuestionScore, retrieval_metrics, summarize
from eval.protocols import AnswererLike, RetrieverLike
from eval.runner import retrieval_ranks, run_questions

RETRIEVAL_MODES = ("dense", "keyword", "fused")
ANSWERERS = ("extractive", "first-sentence")
MAIN_MODE = "fused"


def run_comparison(
    records: Sequence[EvalRecord],
    main_scores: Sequence[QuestionScore],
    main_answerer: str,
    k: int | None,
    make_retriever: Callable[[str], RetrieverLike],
    make_assistant: Callable[[str, RetrieverLike], AnswererLike],
    progress: bool = True,
) -> dict[str, Any]:
    """`{"retrieval": {mode: retrieval section}, "answerers": {name: all six sections}}`.

    The main run's results (fused retrieval, and the extractive answerer when it was the one evaluated) are
    reused rather than recomputed.
    """
    queries = {s.id: s.standalone_question for s in main_scores}
    retrieval: dict[str, Any] = {}
    for mode in RETRIEVAL_MODES:
        if mode == MAIN_MODE:
            ranks = [s.first_hit for s in main_scores if s.answerable]
        else:
            ranks = retrieval_ranks(
                records, queries, make_retriever(mode), progress, desc=f"retrieve ({mode})"
            )
        retrieval[mode] = retrieval_metrics(ranks)

    fused = make_retriever(MAIN_MODE)
    rewritten = {(r.question, tuple(r.history)): queries.get(r.id, r.question) for r in records}

    def same_rewrite(question: str, history: list[str]) -> str:
        return rewritten.get((question, tuple(history)), question)

    answerers: dict[str, Any] = {}
    for name in ANSWERERS:
        if name == main_answerer:
            scores: Sequence[QuestionScore] = main_scores
        else:
            answerer = (
                FirstSentenceAnswerer(fused, k=k, rewrite=same_rewrite)
                if name == "first-sentence"
                else make_assistant(name, fused)
            )
            scores = run_questions(records, answerer, fused, k=k, progress=progress, desc=f"answer ({name})")
        answerers[name] = summarize(scores)
    return {"retrieval": retrieval, "answerers": answerers}
