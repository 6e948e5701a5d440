"""The report writer: the files, the exact keys of report.json, real PNGs, a readable report.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.compare import ANSWERERS, RETRIEVAL_MODES
from eval.metrics import RETRIEVAL_KEYS, QuestionScore, score_question, section_keys, summarize
from eval.report import REPORT_KEYS, build_report, write_report
from index.settings import Settings

pytestmark = pytest.mark.unit

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def scores(record, answer, passages, citation) -> list[QuestionScore]:
    top = passages(("d#1", "Iraqi forces retook eastern Mosul."), ("d#2", "Other | text."))
    where = record(id="b", question="Where | why?", answers=["Tikrit"], evidence=["Tikrit fell"], category="where")
    return [
        score_question(
            record(id="a", answers=["Iraqi forces"], evidence=["retook eastern Mosul"], category="who"),
            answer(text="Iraqi forces [1].", short="Iraqi forces", citations=[citation(1, "d#1")],
                   passages=top),
            top,
        ),
        score_question(
            where,
            answer(text="Other | text [1].", short="Other", citations=[citation(1, "d#2")], passages=top,
                   timings={"retrieve": 30.0, "answer": 2.0, "total": 32.0}),
            top,
        ),
        score_question(
            record(id="c", answerable=False, answers=[], evidence=[]),
            answer(text="The articles don't say.", refused=True),
            [],
        ),
    ]  # fmt: skip


def make_report(scores: list[QuestionScore], compare: dict[str, Any] | None = None) -> dict[str, Any]:
    return build_report(
        scores=scores,
        dataset={"path": "x/set.jsonl", "name": "set", "kind": "jsonl", "total": 10, "limit": 3},
        answerer="extractive",
        k=5,
        settings=Settings(index_dir=Path("/tmp/some-index")),
        corpus={"documents": 5, "paragraphs": 80},
        wall_clock_s=1.5,
        compare=compare,
    )


def fake_compare(scores: list[QuestionScore]) -> dict[str, Any]:
    summary = summarize(scores)
    return {
        "retrieval": {mode: dict(summary["retrieval"]) for mode in RETRIEVAL_MODES},
        "answerers": {name: summary for name in ANSWERERS},
    }


def test_files_exist_and_pngs_are_real(tmp_path: Path, scores: list[QuestionScore]) -> None:
    out = tmp_path / "deep" / "out"
    written = write_report(make_report(scores), out)
    names = {p.name for p in written}
    assert {"report.json", "report.md", "hit_at_k.png", "categories.png", "latency.png"} <= names
    assert "compare.png" not in names
    for path in written:
        assert path.exists() and path.parent == out and path.stat().st_size > 0
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG_MAGIC


def test_report_json_has_exactly_the_documented_keys(tmp_path: Path, scores: list[QuestionScore]) -> None:
    write_report(make_report(scores), tmp_path)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert tuple(report) == REPORT_KEYS
    for section, keys in section_keys().items():
        assert tuple(report[section]) == keys, section
    assert list(report["hit_curve"]) == [str(k) for k in range(1, 11)]
    assert report["counts"] == {"questions": 3, "answerable": 2, "unanswerable": 1}
    assert report["compare"] is None
    assert report["plots"] == ["hit_at_k.png", "categories.png", "latency.png"]
    assert report["dataset"]["path"] == "x/set.jsonl" and report["answerer"] == "extractive" and report["k"] == 5
    assert report["settings"]["index_dir"] == "/tmp/some-index"
    assert report["corpus"] == {"documents": 5, "paragraphs": 80}
    assert report["wall_clock_s"] == 1.5 and report["date"]
    assert report["machine"]["cpu_count"] and report["machine"]["platform"]


def test_per_question_entries_and_categories(tmp_path: Path, scores: list[QuestionScore]) -> None:
    write_report(make_report(scores), tmp_path)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [q["id"] for q in report["questions"]] == ["a", "b", "c"]
    first, _, unanswerable = report["questions"]
    for section in ("retrieval", "answer", "citations", "refusal"):
        assert tuple(first[section]) == section_keys()[section]
    assert first["retrieval"]["hit@1"] == 1.0 and first["cited"][0]["correct"] is True
    assert unanswerable["retrieval"] == dict.fromkeys(RETRIEVAL_KEYS)  # null, not 0
    assert unanswerable["refusal"]["unanswerable_refused"] == 1.0
    assert list(report["by_category"]) == ["who", "where", "(none)"]
    assert report["by_category"]["(none)"]["refusal"]["false_refusal_rate"] is None


def test_report_md_shows_summary_categories_plots_and_misses(tmp_path: Path, scores: list[QuestionScore]) -> None:
    write_report(make_report(scores), tmp_path)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# Evaluation: set")
    for heading in ("## Summary", "## By category", "## Plots", "## Misses (1)"):
        assert heading in md
    assert "| retrieval | hit@5 | 0.500 |" in md
    assert "| refusal | false refusal rate | 0.000 |" in md
    assert "![hit@k for k = 1..10](hit_at_k.png)" in md
    assert "Where \\| why?" in md  # pipes in questions cannot break the table
    assert "## Comparison" not in md


def test_compare_adds_a_section_and_a_plot(tmp_path: Path, scores: list[QuestionScore]) -> None:
    written = write_report(make_report(scores, compare=fake_compare(scores)), tmp_path)
    assert (tmp_path / "compare.png").read_bytes()[:8] == PNG_MAGIC
    assert tmp_path / "compare.png" in written
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert list(report["compare"]) == ["retrieval", "answerers"]
    assert list(report["compare"]["retrieval"]) == ["dense", "keyword", "fused"]
    assert list(report["compare"]["answerers"]) == ["extractive", "first-sentence"]
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Comparison" in md and "| keyword |" in md and "| first-sentence |" in md


def test_an_empty_run_still_writes_a_report(tmp_path: Path) -> None:
    written = write_report(make_report([]), tmp_path)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["retrieval"]["hit@5"] is None and report["questions"] == []
    assert all(p.exists() for p in written)
