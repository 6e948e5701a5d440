"""How numbers read in the terminal table and in report.md, in one place so the two always agree."""

from __future__ import annotations

from typing import Any

LABELS = {
    "hit@1": "hit@1", "hit@3": "hit@3", "hit@5": "hit@5", "hit@10": "hit@10", "mrr": "MRR",
    "contains": "answer contains gold", "short_em": "short answer EM", "short_f1": "short answer F1",
    "sources_differ": "'sources differ' (of answered)",
    "precision": "precision", "recall": "recall",
    "unanswerable_refused": "unanswerable refused", "false_refusal_rate": "false refusal rate",
    "questions": "questions", "answerable": "answerable", "unanswerable": "unanswerable",
}  # fmt: skip

CATEGORY_COLUMNS = (
    ("retrieval", "hit@5", "hit@5"),
    ("retrieval", "mrr", "MRR"),
    ("answer", "contains", "contains"),
    ("answer", "short_f1", "short F1"),
    ("citations", "precision", "cit. precision"),
    ("citations", "recall", "cit. recall"),
    ("refusal", "unanswerable_refused", "unans. refused"),
    ("refusal", "false_refusal_rate", "false refusals"),
)
ANSWERER_COLUMNS = (
    ("retrieval", "hit@5", "hit@5"),
    ("answer", "contains", "contains"),
    ("answer", "short_em", "short EM"),
    ("answer", "short_f1", "short F1"),
    ("citations", "precision", "cit. precision"),
    ("citations", "recall", "cit. recall"),
    ("refusal", "unanswerable_refused", "unans. refused"),
    ("refusal", "false_refusal_rate", "false refusals"),
    ("latency_ms", "total_p50", "total p50"),
)
RETRIEVAL_COLUMNS = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr")


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))


def fmt(section: str, value: Any) -> str:
    """A metric value for display: '—' for not applicable, ms for latencies, 3 decimals for rates."""
    if value is None:
        return "—"
    if section == "counts" or isinstance(value, bool):
        return str(int(value))
    if section == "latency_ms":
        return f"{value:,.0f} ms"
    return f"{value:.3f}"


def corpus_line(corpus: dict[str, Any]) -> str:
    docs, paras = corpus.get("documents"), corpus.get("paragraphs")
    line = f"{docs if docs is not None else '?'} documents, {paras if paras is not None else '?'} paragraphs"
    indexed = corpus.get("indexed") or {}
    if indexed.get("paragraphs") not in (None, paras):
        line += f" ({indexed['paragraphs']} after the reader's cleaning)"
    return line
