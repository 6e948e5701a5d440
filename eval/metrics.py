"""The numbers of an evaluation, as pure functions of answers, passages and gold records (no I/O).

Every aggregate is the mean of a per-question value over the questions it is defined for (answerable ones for
retrieval, answers and citations; unanswerable ones for correct refusals), except citation precision, which
counts citations rather than questions. An empty denominator gives None, reported as null, so a set without
unanswerable questions does not claim a refusal rate of 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.datasets import EvalRecord
from eval.normalize import contains_evidence, normalize_answer, strip_citation_markers
from index.models import Answer, Passage
from qa.answer_text import token_f1

RETRIEVAL_DEPTH = 10
HIT_KS = (1, 3, 5, 10)
SECTIONS = ("retrieval", "answer", "citations", "refusal", "latency_ms", "counts")
RETRIEVAL_KEYS = (*(f"hit@{k}" for k in HIT_KS), "mrr")
ANSWER_KEYS = ("contains", "short_em", "short_f1", "sources_differ")
# The bundled sets hold no contradicting articles, so every "sources differ" among their answers is a false notice.
CITATION_KEYS = ("precision", "recall")
REFUSAL_KEYS = ("unanswerable_refused", "false_refusal_rate")
LATENCY_STAGES = ("retrieve", "answer", "total")
LATENCY_KEYS = tuple(f"{stage}_p{q}" for stage in LATENCY_STAGES for q in (50, 95))
COUNT_KEYS = ("questions", "answerable", "unanswerable")


# --- SQuAD v1.1 answer scores
def exact_match(prediction: str | None, golds: Sequence[str]) -> float:
    """SQuAD EM, max over gold answers; no prediction scores 0."""
    if prediction is None or not golds:
        return 0.0
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(g) for g in golds))


def f1_score(prediction: str | None, golds: Sequence[str]) -> float:
    """SQuAD token F1, max over gold answers; no prediction scores 0."""
    if prediction is None or not golds:
        return 0.0
    return max(token_f1(prediction, g) for g in golds)


def contains_answer(text: str, golds: Sequence[str]) -> float:
    """1 when the answer text holds a gold answer as whole words, after SQuAD normalisation. `[n]` markers are
    removed first: they would normalise to digits and 'contain' any small number."""
    words = f" {normalize_answer(strip_citation_markers(text))} "
    return float(any((g := normalize_answer(gold)) and f" {g} " in words for gold in golds))


# --- retrieval
def first_hit_rank(texts: Sequence[str], evidence: Sequence[str]) -> int | None:
    """1-based rank of the first passage holding an evidence string, or None."""
    return next((i for i, text in enumerate(texts, start=1) if contains_evidence(text, list(evidence))), None)


def retrieval_scores(rank: int | None) -> dict[str, float]:
    scores = {f"hit@{k}": float(rank is not None and rank <= k) for k in HIT_KS}
    scores["mrr"] = 0.0 if rank is None else 1.0 / rank
    return scores


def hit_curve(ranks: Sequence[int | None], depth: int = RETRIEVAL_DEPTH) -> dict[int, float | None]:
    """hit@k for k = 1..depth over the given first-hit ranks (one per answerable question)."""
    return {k: mean(float(r is not None and r <= k) for r in ranks) for k in range(1, depth + 1)}


def retrieval_metrics(ranks: Sequence[int | None]) -> dict[str, float | None]:
    """The `retrieval` section from the first-hit ranks of answerable questions."""
    per_question = [retrieval_scores(r) for r in ranks]
    return {key: mean(s[key] for s in per_question) for key in RETRIEVAL_KEYS}


# --- one question
@dataclass
class CitationCheck:
    n: int
    paragraph_id: str
    quote: str
    correct: bool


@dataclass
class QuestionScore:
    """What happened to one question, with enough detail to recompute every aggregate."""

    id: str
    question: str
    category: str | None
    answerable: bool
    gold_answers: list[str]
    standalone_question: str
    answer_text: str
    short_answer: str | None
    refused: bool
    retrieved: list[str]
    first_hit: int | None
    contains: float
    short_em: float
    short_f1: float
    citations: list[CitationCheck] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    conflicting: bool = False  # the answer said "the sources differ"

    def metrics(self) -> dict[str, dict[str, Any]]:
        """This question's value for each metric (None where the metric does not apply to it)."""
        ok = self.answerable
        correct = sum(c.correct for c in self.citations)
        return {
            "retrieval": retrieval_scores(self.first_hit) if ok else dict.fromkeys(RETRIEVAL_KEYS),
            "answer": {
                **(
                    {"contains": self.contains, "short_em": self.short_em, "short_f1": self.short_f1}
                    if ok
                    else dict.fromkeys(("contains", "short_em", "short_f1"))
                ),
                "sources_differ": None if self.refused else float(self.conflicting),  # of the answered questions
            },
            "citations": {
                "precision": correct / len(self.citations) if ok and self.citations else None,
                "recall": float(correct > 0) if ok else None,
            },
            "refusal": {
                "unanswerable_refused": None if ok else float(self.refused),
                "false_refusal_rate": float(self.refused) if ok else None,
            },
            "latency_ms": {stage: self.timings.get(stage) for stage in LATENCY_STAGES},
        }


def score_question(record: EvalRecord, answer: Answer, retrieved: Sequence[Passage]) -> QuestionScore:
    """Score one answer against its gold record; `retrieved` is the separate top-10 retrieval for hit@k."""
    texts = [p.paragraph.text for p in retrieved]
    paragraphs = {p.paragraph.id: p.paragraph.text for p in retrieved}
    paragraphs.update({p.paragraph.id: p.paragraph.text for p in answer.passages})
    checks = [
        CitationCheck(
            n=c.n,
            paragraph_id=c.paragraph_id,
            quote=c.quote,
            # An unknown paragraph can still be vouched for by its quote, which is part of it.
            correct=contains_evidence(paragraphs.get(c.paragraph_id, c.quote), record.evidence),
        )
        for c in answer.citations
    ]
    return QuestionScore(
        id=record.id,
        question=record.question,
        category=record.category,
        answerable=record.answerable,
        gold_answers=list(record.answers),
        standalone_question=answer.search_text,  # what was searched: the rewrite and its context
        answer_text=answer.text,
        short_answer=answer.short_answer,
        refused=answer.refused,
        retrieved=[p.paragraph.id for p in retrieved],
        first_hit=first_hit_rank(texts, record.evidence) if record.answerable else None,
        # A refusal is not an answer, even when it echoes the question's words ("… don't say who led X").
        contains=0.0 if answer.refused else contains_answer(answer.text, record.answers),
        short_em=exact_match(answer.short_answer, record.answers),
        short_f1=f1_score(answer.short_answer, record.answers),
        citations=checks,
        timings={k: float(v) for k, v in answer.timings.items()},
        conflicting=answer.conflicting,
    )


# --- aggregates
def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize(scores: Sequence[QuestionScore]) -> dict[str, dict[str, Any]]:
    """The six report sections, with exactly the documented keys."""
    answerable = [s for s in scores if s.answerable]
    per_question = [s.metrics() for s in scores]

    def section_mean(section: str, keys: Sequence[str]) -> dict[str, float | None]:
        return {key: mean(m[section][key] for m in per_question) for key in keys}

    cited = [c for s in answerable for c in s.citations]
    latency: dict[str, float | None] = {}
    for stage in LATENCY_STAGES:
        values = [s.timings[stage] for s in scores if stage in s.timings]
        for q in (50, 95):
            latency[f"{stage}_p{q}"] = percentile(values, q)
    return {
        "retrieval": retrieval_metrics([s.first_hit for s in answerable]),
        "answer": section_mean("answer", ANSWER_KEYS),
        "citations": {
            "precision": sum(c.correct for c in cited) / len(cited) if cited else None,
            "recall": section_mean("citations", ["recall"])["recall"],
        },
        "refusal": section_mean("refusal", REFUSAL_KEYS),
        "latency_ms": latency,
        "counts": {
            "questions": len(scores),
            "answerable": len(answerable),
            "unanswerable": len(scores) - len(answerable),
        },
    }


def by_category(scores: Sequence[QuestionScore], missing: str = "(none)") -> dict[str, dict[str, dict[str, Any]]]:
    """`summarize` per category, categories in order of first appearance."""
    groups: dict[str, list[QuestionScore]] = {}
    for s in scores:
        groups.setdefault(s.category or missing, []).append(s)
    return {name: summarize(group) for name, group in groups.items()}


def overall_hit_curve(scores: Sequence[QuestionScore]) -> dict[int, float | None]:
    return hit_curve([s.first_hit for s in scores if s.answerable])


def section_keys() -> Mapping[str, tuple[str, ...]]:
    """The documented keys of every section, for the report writer and its tests."""
    return {
        "retrieval": RETRIEVAL_KEYS,
        "answer": ANSWER_KEYS,
        "citations": CITATION_KEYS,
        "refusal": REFUSAL_KEYS,
        "latency_ms": LATENCY_KEYS,
        "counts": COUNT_KEYS,
    }
