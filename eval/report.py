"""The report of one run: report.json (everything, per question too), report.md (for people) and PNG plots.

report.json is the contract: its metric sections have exactly the keys in `metrics.section_keys()`, so that
runs can be diffed and compared by scripts across versions.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.metrics import SECTIONS, QuestionScore, by_category, overall_hit_curve, summarize
from index.settings import Settings

REPORT_KEYS = (
    "dataset", "answerer", "k", "settings", "corpus", "wall_clock_s", "date", "machine",
    *SECTIONS, "hit_curve", "by_category", "questions", "compare", "plots",
)  # fmt: skip

NOTABLE_SETTINGS = ("index_dir", "collection", "chroma_url", "embed_model", "chunk_size", "top_k", "rrf_k")
LLM_SETTINGS = ("llm_base_url", "llm_model", "ollama_url", "gguf_path")


def notable_settings(settings: Settings, answerer: str) -> dict[str, Any]:
    """The settings that change the numbers (and none that are secrets)."""
    names = NOTABLE_SETTINGS + (LLM_SETTINGS if answerer not in ("extractive", "first-sentence") else ())
    return {name: _jsonable(getattr(settings, name)) for name in names}


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }


def question_entry(score: QuestionScore) -> dict[str, Any]:
    return {
        "id": score.id,
        "question": score.question,
        "category": score.category,
        "answerable": score.answerable,
        "gold_answers": score.gold_answers,
        "standalone_question": score.standalone_question,
        "answer_text": score.answer_text,
        "short_answer": score.short_answer,
        "refused": score.refused,
        "conflicting": score.conflicting,
        "retrieved": score.retrieved,
        "first_hit_rank": score.first_hit,
        "cited": [asdict(c) for c in score.citations],
        **score.metrics(),
    }


def build_report(
    *,
    scores: Sequence[QuestionScore],
    dataset: dict[str, Any],
    answerer: str,
    k: int,
    settings: Settings,
    corpus: dict[str, Any],
    wall_clock_s: float,
    compare: dict[str, Any] | None = None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "dataset": dataset,
        "answerer": answerer,
        "k": k,
        "settings": notable_settings(settings, answerer),
        "corpus": corpus,
        "wall_clock_s": round(wall_clock_s, 3),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **summarize(scores),
        "hit_curve": {str(k_): v for k_, v in overall_hit_curve(scores).items()},
        "by_category": by_category(scores),
        "questions": [question_entry(s) for s in scores],
        "compare": compare,
        "plots": [],
    }
    return report


def write_report(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the plots, report.json and report.md into `out_dir`; returns every file written."""
    from eval.markdown import render_markdown
    from eval.plots import write_plots

    out_dir.mkdir(parents=True, exist_ok=True)
    plots = write_plots(report, out_dir)
    report["plots"] = [p.name for p in plots]
    json_path = out_dir / "report.json"
    json_path.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=_jsonable) + "\n", encoding="utf-8")
    md_path = out_dir / "report.md"
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return [json_path, md_path, *plots]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
