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
            rows.append([q["id"], q["question"], "(unanswerable)", q["answer_text"][:80], "answered, not refused"])
    return rows


def render_markdown(report: dict[str, Any]) -> str:
    """report.md, section by section; the comparison and plots only when the run has them."""
    out = [f"# Evaluation: {report['dataset']['name']}", ""]
    out += _run_table(report)
    out += _summary_section(report)
    out += _category_section(report)
    out += _comparison_section(report.get("compare"))
    out += _plots_section(report.get("plots"))
    out += _misses_section(_misses(report))
    return "\n".join(out)


def _run_table(report: dict[str, Any]) -> list[str]:
    """What was run: the dataset, answerer, corpus, index, date, wall clock and machine."""
    dataset = report["dataset"]
    counts = report["counts"]
    machine = report["machine"]
    return _table(
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


def _summary_section(report: dict[str, Any]) -> list[str]:
    """Every headline metric, one row each."""
    rows = [
        [section, label(key), fmt(section, report[section][key])]
        for section, keys in section_keys().items()
        for key in keys
    ]
    return ["## Summary", "", *_table(["Section", "Metric", "Value"], rows)]


def _category_section(report: dict[str, Any]) -> list[str]:
    """The main metrics for each question category."""
    rows = [
        [name, m["counts"]["questions"], *(fmt(s, m[s][k]) for s, k, _ in CATEGORY_COLUMNS)]
        for name, m in report["by_category"].items()
    ]
    header = ["Category", "Questions", *(title for _, _, title in CATEGORY_COLUMNS)]
    return ["## By category", "", *_table(header, rows)]


def _comparison_section(compare: dict[str, Any] | None) -> list[str]:
    """Retrieval modes, then answerers, on the same questions (only when the run compared them)."""
    if not compare:
        return []
    modes = [[mode, *(fmt("retrieval", m[k]) for k in RETRIEVAL_COLUMNS)] for mode, m in compare["retrieval"].items()]
    answerers = [[name, *(fmt(s, m[s][k]) for s, k, _ in ANSWERER_COLUMNS)] for name, m in compare["answerers"].items()]
    return [
        "## Comparison",
        "",
        "### Retrieval mode (same queries, top 10)",
        "",
        *_table(["Mode", *(label(k) for k in RETRIEVAL_COLUMNS)], modes),
        "### Answerer (fused retrieval)",
        "",
        *_table(["Answerer", *(title for _, _, title in ANSWERER_COLUMNS)], answerers),
    ]


def _plots_section(plots: list[str] | None) -> list[str]:
    """An image link for each plot the run wrote."""
    if not plots:
        return []
    return ["## Plots", "", *(f"![{PLOT_TITLES.get(name, name)}]({name})\n" for name in plots)]


def _misses_section(misses: list[list[Any]]) -> list[str]:
    """The questions that went wrong, the first MAX_MISSES of them in a table."""
    out = [f"## Misses ({len(misses)})", ""]
    if not misses:
        return out + ["None.", ""]
    shown = misses[:MAX_MISSES]
    out += _table(["id", "question", "gold", "got", "why"], shown)
    if len(misses) > len(shown):
        out += [f"…and {len(misses) - len(shown)} more in report.json.", ""]
    return out
