"""Side-by-side runs: which retrieval mode finds the evidence, and what the extractive answerer adds to a
first-sentence baseline and to the hand-written rule answerer it replaced.

The rule answerer's row is recorded, not rerun: its code is gone, so its figures on the bundled question sets were
measured at its last commit and kept in `eval/reference/rule-answerer-137deea.json` (see README, Quality).

Every contender is asked the same queries: the retrieval modes search with the main run's standalone
questions, and the baseline reuses them as its follow-up rewrite, so the differences come from the component
being compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.baselines import FirstSentenceAnswerer
from eval.datasets import EvalRecord
from eval.metrics import QuestionScore, retrieval_metrics, summarize
from eval.protocols import AnswererLike, RetrieverLike
from eval.runner import retrieval_ranks, run_questions
from index.limits import MODES, Mode

ANSWERERS = ("extractive", "first-sentence")
MAIN_MODE: Mode = MODES[0]  # the mode the answerers read with
RETRIEVAL_MODES = tuple(sorted(MODES, key=lambda mode: mode == MAIN_MODE))  # each search alone, then fused
RULES_REFERENCE = Path(__file__).resolve().parent / "reference" / "rule-answerer-137deea.json"


def recorded_rules(dataset_file: str) -> tuple[str, dict[str, Any]] | None:
    """The rule answerer's recorded sections for a bundled question set (by file name), with its row label."""
    if not RULES_REFERENCE.is_file():
        return None
    reference = json.loads(RULES_REFERENCE.read_text(encoding="utf-8"))
    found = reference["datasets"].get(Path(dataset_file).name)
    return (f"rules @{reference['commit']} (recorded)", found) if found else None


def run_comparison(
    records: Sequence[EvalRecord],
    main_scores: Sequence[QuestionScore],
    main_answerer: str,
    k: int | None,
    make_retriever: Callable[[Mode], RetrieverLike],
    make_assistant: Callable[[str, RetrieverLike], AnswererLike],
    progress: bool = True,
    dataset_file: str = "",
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
            ranks = retrieval_ranks(records, queries, make_retriever(mode), progress, desc=f"retrieve ({mode})")
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
    rules = recorded_rules(dataset_file)
    if rules is not None:
        answerers[rules[0]] = rules[1]
    return {"retrieval": retrieval, "answerers": answerers}
