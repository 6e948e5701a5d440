"""PNG plots of a report, drawn from report.json's data alone so that an old report can be re-plotted.

matplotlib's object API (Figure, no pyplot) keeps this free of global state and of any GUI backend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.formatting import ANSWERER_COLUMNS

CATEGORY_METRICS = (
    ("retrieval", "hit@5", "hit@5"),
    ("answer", "contains", "answer contains gold"),
    ("answer", "short_f1", "short-answer F1"),
    ("citations", "recall", "citation recall"),
    ("refusal", "unanswerable_refused", "unanswerable refused"),
    ("refusal", "false_refusal_rate", "false refusals (↓)"),
)
LOWER_IS_BETTER = frozenset({"false_refusal_rate"})
COMPARE_RETRIEVAL = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr")
# The answer-quality columns of the console's comparison table, without hit@5 and latency (other plots show them).
COMPARE_ANSWERS = tuple(col for col in ANSWERER_COLUMNS if col[0] in ("answer", "citations", "refusal"))


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def _note_if_empty(ax: Any, empty: bool, text: str) -> None:
    if empty:
        ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="grey")


def _grouped_bars(ax: Any, groups: Sequence[str], series: dict[str, list[float]], horizontal: bool = False) -> None:
    """Bars labelled with their values, 'n/a' where a metric does not apply: 0 and n/a look different."""
    width = 0.8 / max(len(series), 1)
    for i, (label, values) in enumerate(series.items()):
        positions = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        drawn = [0.0 if math.isnan(v) else v for v in values]
        if horizontal:
            bars = ax.barh(positions, drawn, height=width, label=label)
        else:
            bars = ax.bar(positions, drawn, width=width, label=label)
        texts = ["n/a" if math.isnan(v) else f"{v:.2f}" for v in values]
        ax.bar_label(bars, labels=texts, fontsize=6, padding=1.5, color="dimgrey")
    if horizontal:
        ax.set_yticks(range(len(groups)), groups)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.1)
    else:
        ax.set_xticks(range(len(groups)), groups)
        ax.set_ylim(0, 1.1)


def plot_hit_curve(report: dict[str, Any], path: Path) -> Path:
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    curve = report["hit_curve"]
    ks = [int(k) for k in curve]
    values = [_num(v) for v in curve.values()]
    ax.plot(ks, values, marker="o")
    ax.set(
        xlabel="k (passages retrieved)",
        ylabel="hit@k",
        ylim=(0, 1.02),
        xticks=ks,
        title="Evidence in the top k passages",
    )
    ax.grid(alpha=0.3)
    _note_if_empty(ax, all(math.isnan(v) for v in values), "no answerable questions")
    fig.savefig(path, dpi=110)
    return path


def plot_categories(report: dict[str, Any], path: Path) -> Path:
    """A category × metric heat map with the values written in: it stays readable for SQuAD's 48 titles,
    where grouped bars would not. Grey cells are metrics that do not apply (e.g. refusals without
    unanswerable questions)."""
    import numpy as np
    from matplotlib import colormaps

    categories = list(report["by_category"])
    values = np.array(
        [[_num(report["by_category"][c][section][key]) for section, key, _ in CATEGORY_METRICS] for c in categories],
        dtype=float,
    ).reshape(len(categories), len(CATEGORY_METRICS))
    # Colour by goodness (green = good) while the text shows the value itself.
    flip = np.array([key in LOWER_IS_BETTER for _, key, _ in CATEGORY_METRICS])
    goodness = np.where(flip, 1 - values, values)
    fig = _figure(7.5, 1.6 + 0.32 * max(len(categories), 3))
    ax = fig.add_subplot()
    if categories:
        cmap = colormaps["RdYlGn"].with_extremes(bad="#dddddd")
        ax.imshow(np.ma.masked_invalid(goodness), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(CATEGORY_METRICS)), [label for _, _, label in CATEGORY_METRICS], rotation=20, ha="right")
    counts = [report["by_category"][c]["counts"]["questions"] for c in categories]
    ax.set_yticks(range(len(categories)), [f"{c} ({n})" for c, n in zip(categories, counts, strict=True)])
    for (row, col), value in np.ndenumerate(values):
        ax.text(col, row, "n/a" if math.isnan(value) else f"{value:.2f}", ha="center", va="center", fontsize=8)
    ax.set_title("Scores by category (questions)")
    _note_if_empty(ax, not categories, "no questions")
    fig.savefig(path, dpi=110)
    return path


def plot_latency(report: dict[str, Any], path: Path) -> Path:
    """Histograms of total, retrieval and answering time on shared bins; a log axis when the spread is wide
    (an LLM answerer next to millisecond retrieval)."""
    import numpy as np

    fig = _figure(6, 4)
    ax = fig.add_subplot()
    stages = {
        stage: [q["latency_ms"][stage] for q in report["questions"] if q["latency_ms"].get(stage) is not None]
        for stage in ("total", "retrieve", "answer")
    }
    values = [v for vs in stages.values() for v in vs]
    if values:
        low, high = max(min(values), 0.01), max(max(values), 0.02)
        wide = high / low > 50
        bins = np.geomspace(low, high, 30) if wide else np.linspace(0, high, 30)
        for stage, data in stages.items():
            if data:
                total = stage == "total"
                ax.hist(
                    np.clip(data, low, None) if wide else data,
                    bins=bins,
                    alpha=0.5 if total else 0.9,
                    histtype="stepfilled" if total else "step",
                    linewidth=1.5,
                    label=stage,
                )
        if wide:
            ax.set_xscale("log")
        ax.legend()
    ax.set(xlabel="milliseconds per question", ylabel="questions", title="Latency")
    _note_if_empty(ax, not values, "no timings recorded")
    fig.savefig(path, dpi=110)
    return path


def plot_compare(report: dict[str, Any], path: Path) -> Path:
    compare = report["compare"]
    fig = _figure(11, 4)
    left, right = fig.subplots(1, 2)
    retrieval = {mode: [_num(m[key]) for key in COMPARE_RETRIEVAL] for mode, m in compare["retrieval"].items()}
    _grouped_bars(left, COMPARE_RETRIEVAL, retrieval)
    left.set(title="Retrieval mode", ylabel="score (0–1)")
    left.legend(fontsize="small")
    answers = {
        name: [_num(m[section][key]) for section, key, _ in COMPARE_ANSWERS] for name, m in compare["answerers"].items()
    }
    _grouped_bars(right, [label for _, _, label in COMPARE_ANSWERS], answers)
    right.set(title="Answerer")
    right.tick_params(axis="x", labelrotation=20)
    right.legend(fontsize="small")
    for ax in (left, right):
        ax.grid(axis="y", alpha=0.3)
    fig.savefig(path, dpi=110)
    return path


def plot_counterfactual(summary: dict[str, Any], path: Path) -> Path:
    """The counterfactual test: which claim the answers led with, and whether a conflict read was flagged."""
    fig = _figure(10, 3.6)
    left, right = fig.subplots(1, 2)
    led = summary["led"]
    left.bar(list(led), list(led.values()), color=["#2a7", "#c33", "#999", "#557"])
    left.set_title(f"what the {summary['questions']} answers led with")
    left.set_ylabel("questions")
    both, flagged = summary["both_read"], summary["flagged_when_both_read"]
    right.bar(["flagged", "not flagged"], [flagged, both - flagged], color=["#2a7", "#c33"])
    right.set_title(f"both claims among the passages read ({both}): conflict flagged?")
    fig.savefig(path, dpi=110)
    return path


DATED_METRICS = (
    ("top_passage", "top passage of the period"),
    ("answer", "answer of the period"),
    ("look_alike_cited", "look-alike cited (↓)"),
    ("outside_dated", "no article of the period: dated notice"),
)


def plot_dated(results: dict[str, dict[str, Any]], path: Path) -> Path:
    """The dated corpus with and without the date rule: one group of bars per measure."""
    fig = _figure(9, 3.4)
    ax = fig.subplots()
    groups = [label for _, label in DATED_METRICS]
    _grouped_bars(ax, groups, {run: [_num(r[key]) for key, _ in DATED_METRICS] for run, r in results.items()})
    ax.set_title(f"dated corpus: {next(iter(results.values()))['questions']} questions asked as of a date")
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)
    return path


def write_plots(report: dict[str, Any], out_dir: Path) -> list[Path]:
    paths = [
        plot_hit_curve(report, out_dir / "hit_at_k.png"),
        plot_categories(report, out_dir / "categories.png"),
        plot_latency(report, out_dir / "latency.png"),
    ]
    if report.get("compare"):
        paths.append(plot_compare(report, out_dir / "compare.png"))
    return paths
