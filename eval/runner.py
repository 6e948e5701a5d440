"""Running questions through an answerer, one fresh conversation per question.

Retrieval is scored from its own top-10 call on the question the answerer actually searched with (its
standalone rewrite), so hit@10 exists whatever k the answerer used, and a follow-up is scored on what it was
rewritten to.
"""

from __future__ import annotations

from collections.abc import Sequence

from eval.datasets import EvalRecord
from eval.metrics import RETRIEVAL_DEPTH, QuestionScore, first_hit_rank, score_question
from eval.protocols import AnswererLike, RetrieverLike


def _progress(items: Sequence[EvalRecord], desc: str, enabled: bool) -> Sequence[EvalRecord]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="q", dynamic_ncols=True)  # type: ignore[return-value]


def run_questions(
    records: Sequence[EvalRecord],
    answerer: AnswererLike,
    retriever: RetrieverLike,
    k: int | None = None,
    progress: bool = True,
    desc: str = "eval",
    warm_up: bool = False,
) -> list[QuestionScore]:
    """Score every record; `warm_up` first asks one untimed question, so that loading models (seconds) is not
    booked as the first question's latency."""
    if warm_up and records:
        answerer.ask(records[0].question, history=list(records[0].history), k=k)
        retriever.retrieve(records[0].question, k=RETRIEVAL_DEPTH)
    scores = []
    for record in _progress(records, desc, progress):
        answer = answerer.ask(record.question, history=list(record.history), k=k, as_of=record.as_of)
        retrieved = retriever.retrieve(answer.search_text, k=RETRIEVAL_DEPTH)
        scores.append(score_question(record, answer, retrieved))
    return scores


def retrieval_ranks(
    records: Sequence[EvalRecord],
    queries: dict[str, str],
    retriever: RetrieverLike,
    progress: bool = True,
    desc: str = "retrieve",
) -> list[int | None]:
    """First-hit ranks of the answerable records, each searched with `queries[record.id]` or its question."""
    answerable = [r for r in records if r.answerable]
    ranks = []
    for record in _progress(answerable, desc, progress):
        passages = retriever.retrieve(queries.get(record.id, record.question), k=RETRIEVAL_DEPTH)
        ranks.append(first_hit_rank([p.paragraph.text for p in passages], record.evidence))
    return ranks
