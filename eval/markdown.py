"""report.md: the run at a glance, tables a reviewer can paste into an issue, and the questions that went
wrong."""

from __future__ import annotations

from typing import Any

from eval.formatting import (
    ANSWERER_COLUMNS,
    CATEGORY_COLUMNS,
    RETRIEVAL_COLUMNS,
    corpus_line,
    fmt,
    label,
)
from eval.metrics import section_keys

MAX_MISSES = 25
PLOT_TITLES = {
    "hit_at_k.png": "hit@k for k = 1..10",
    "categories.png": "Scores by category",
    "latency.png": "Latency",
    "compare.png": "Comparison",
}


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _misses(report: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for q in report["questions"]:
        if q["answerable"] and (q["answer"]["contains"] == 0 or q["first_hit_rank"] is None):
            why = "evidence not retrieved" if q["first_hit_rank"] is None else "gold answer not in answer"
            got = q["short_answer"] or ("(refused)" if q["refused"] else q["answer_text"][:80])
            rows.append([q["id"], q["question"], " / ".join(q["gold_answers"][:3]), got, why])
        elif not q["answerable"] and not q["refused"]:
            rows.append(
                [q["id"], q["question"], "(unanswerable)", q["answer_text"][:80], "answered, not refused"]
            )
    return rows


def render_markdown(report: dict[str, Any]) -> str:
    dataset = report["dataset"]
    counts = report["counts"]
    machine = report["machine"]
    out = [f"# Evaluation: {dataset['name']}", ""]
    out += _table(
        ["", ""],
        [
            [
                "Dataset",
                f"`{dataset['path']}` ({counts['questions']} of {dataset.get('total', '?')} questions)",
            ],
            ["Answerer", f"{report['answerer']}, k = {report['k']}"],
            ["Corpus", corpus_line(report["corpus"])],
            ["Index", f"`{report['settings'].get('index_dir')}`"],
            ["Date", report["date"]],
            ["Wall clock", f"{report['wall_clock_s']:.1f} s"],
            ["Machine", f"{machine['platform']}, {machine['cpu_count']} CPUs, Python {machine['python']}"],
        ],
    )
    out += ["## Summary", ""]
    out += _table(
        ["Section", "Metric", "Value"],
        [
            [section, label(key), fmt(section, report[section][key])]
            for section, keys in section_keys().items()
            for key in keys
        ],
    )
    out += ["## By category", ""]
    out += _table(
        ["Category", "Questions", *(title for _, _, title in CATEGORY_COLUMNS)],
        [
            [name, m["counts"]["questions"], *(fmt(s, m[s][k]) for s, k, _ in CATEGORY_COLUMNS)]
            for name, m in report["by_category"].items()
        ],
    )
    if report.get("compare"):
        compare = report["compare"]
        out += ["## Comparison", "", "### Retrieval mode (same queries, top 10)", ""]
        out += _table(
            ["Mode", *(label(k) for k in RETRIEVAL_COLUMNS)],
            [
                [mode, *(fmt("retrieval", m[k]) for k in RETRIEVAL_COLUMNS)]
                for mode, m in compare["retrieval"].items()
            ],
        )
        out += ["### Answerer (fused retrieval)", ""]
        out += _table(
            ["Answerer", *(title for _, _, title in ANSWERER_COLUMNS)],
            [
                [name, *(fmt(s, m[s][k]) for s, k, _ in ANSWERER_COLUMNS)]
                for name, m in compare["answerers"].items()
            ],
        )
    if report.get("plots"):
        out += ["## Plots", ""]
        out += [f"![{PLOT_TITLES.get(name, name)}]({name})\n" for name in report["plots"]]
    misses = _misses(report)
    out += [f"## Misses ({len(misses)})", ""]
    if misses:
        shown = misses[:MAX_MISSES]
        out += _table(["id", "question", "gold", "got", "why"], shown)
        if len(misses) > len(shown):
            out += [f"…and {len(misses) - len(shown)} more in report.json.", ""]
    else:
        out += ["None.", ""]
    return "\n".join(out)
