"""The benchmark's outputs: a rich table on the console, bench.json (everything), bench.md and bench.png."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from eval.bench.targets import Row


def fmt(value: Any, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{value:,}"
    magnitude = abs(float(value))
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 0.1 else 3
    return f"{float(value):,.{digits}f}"


def _ratio(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.2f}×"


def _met(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "NO")


COLUMNS = ("Section", "Metric", "Ours", "Peer / floor", "Ratio", "Target", "Met?")


def table_cells(row: Row) -> list[str]:
    unit = f" {row.unit}" if row.unit else ""
    other = f"{fmt(row.other)}{unit} ({row.other_label})" if row.other is not None else ""
    target = row.target if row.target else ""
    met = _met(row.met) if row.target else ""
    return [row.section, row.metric, f"{fmt(row.ours)}{unit}", other, _ratio(row.ratio), target, met]


def print_table(rows: list[Row], results: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    machine = results.get("machine", {})
    table = Table(
        title=f"cited bench{' (quick)' if results.get('quick') else ''}",
        caption=f"{machine.get('cpu_count')} × {machine.get('cpu_model')}, {machine.get('ram_gb')} GB, "
        f"Python {machine.get('python')}, torch {machine.get('torch')}; "
        f"{results.get('wall_clock_s', 0):.0f} s",
    )
    for name in COLUMNS:
        table.add_column(name, justify="right" if name in ("Ours", "Peer / floor", "Ratio") else "left")
    last = None
    for row in rows:
        cells = table_cells(row)
        if row.section == last:
            cells[0] = ""
        style = "red" if row.met is False else "green" if row.met else None
        table.add_row(*cells, style=style)
        last = row.section
    console.print(table)
    for section, message in results.get("failed", {}).items():
        console.print(f"[red]{section} not measured:[/red] {message.splitlines()[0] if message else ''}")


DIAGNOSIS_TITLES = {
    "ask_stages_ms": "One `ask` (ours), median ms",
    "peer_stages_ms": "One peer retrieval, median ms",
    "raw_model_query_by_threads_ms": "One query through sentence-transformers by torch threads, median ms",
    "chroma_query_variants_ms": "Chroma dense query variants, median ms",
}


def markdown(rows: list[Row], results: dict[str, Any]) -> str:
    """bench.md: the machine, the table, the sections not measured and where the time goes."""
    lines = [
        *_markdown_header(results),
        *_markdown_table(rows),
        *_not_measured_lines(results.get("failed", {})),
        *_where_the_time_goes(results),
        "",
    ]
    return "\n".join(lines)


def _markdown_header(results: dict[str, Any]) -> list[str]:
    """The title and one sentence on the machine the run was measured on."""
    machine = results.get("machine", {})
    load_average = ", ".join(f"{x:.1f}" for x in machine.get("load_average", []))
    return [
        "# cited bench" + (" (quick)" if results.get("quick") else ""),
        "",
        f"Measured {results.get('started', '')} on {machine.get('cpu_count')} × {machine.get('cpu_model')}, "
        f"{machine.get('ram_gb')} GB RAM, Python {machine.get('python')}, torch {machine.get('torch')} "
        f"(load average at start {load_average}). "
        "Medians of repeated runs; see bench.json for every sample.",
        "",
    ]


def _markdown_table(rows: list[Row]) -> list[str]:
    """The table with numbers right-aligned and a missed target in bold."""
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" if c in ("Section", "Metric", "Target") else "---:" for c in COLUMNS) + "|",
    ]
    for row in rows:
        cells = [c.replace("|", "\\|") for c in table_cells(row)]
        if row.met is False:
            cells[-1] = "**NO**"
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _not_measured_lines(failed: dict[str, str]) -> list[str]:
    """The sections that failed, each with the first line of its error."""
    if not failed:
        return []
    lines = ["", "## Not measured", ""]
    lines += [f"- **{section}**: {message.splitlines()[0] if message else ''}" for section, message in failed.items()]
    return lines


def _where_the_time_goes(results: dict[str, Any]) -> list[str]:
    """The diagnosis: per-stage medians, ingest phases, a cold ask's first-use costs, the heavy imports."""
    diagnosis = results.get("diagnosis", {})
    if not diagnosis:
        return []
    return [
        "",
        "## Where the time goes",
        "",
        *_stage_lines(diagnosis),
        *_ingest_phase_lines(results.get("ingest", {})),
        *_cold_ask_lines(diagnosis),
    ]


def _stage_lines(diagnosis: dict[str, Any]) -> list[str]:
    """One line per set of stage timings in milliseconds (the diagnosis keys ending in `_ms`)."""
    return [
        f"- {DIAGNOSIS_TITLES.get(key, key)}: " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items())
        for key, stages in diagnosis.items()
        if key.endswith("_ms") and isinstance(stages, dict) and stages
    ]


def _ingest_phase_lines(ingests: dict[str, dict[str, Any]]) -> list[str]:
    """Each corpus's ingest phases, slowest first, and what its one encoder pass per chunk embedded."""
    lines = []
    for name, ing in ingests.items():
        if not ing.get("phases_s"):
            continue
        phases = ", ".join(f"{k} {v:.2f}" for k, v in sorted(ing["phases_s"].items(), key=lambda kv: -kv[1]))
        lines.append(
            f"- Ingest {name}, median s: {phases}; one encoder pass per chunk ({ing.get('chunks', 0)}), the "
            f"{ing.get('sentences', 0)} sentence vectors pooled from those passes, as the floor embeds the chunks"
        )
    return lines


def _cold_ask_lines(diagnosis: dict[str, Any]) -> list[str]:
    """The first-use costs inside a cold `cited ask` and the heaviest imports on its path."""
    lines = []
    cold = diagnosis.get("cold_ask_s")
    if cold:
        lines.append("- A cold `cited ask`, s: " + ", ".join(f"{k} {v:.2f}" for k, v in cold.items()))
    imports = diagnosis.get("imports")
    if imports:
        heavy = ", ".join(f"{k} {v:.0f}" for k, v in list(imports.get("heavy_ms", {}).items())[:10])
        lines.append(f"- Imports on the `cited ask` path (`{imports.get('command')}`), cumulative ms: {heavy}")
    return lines


def write_json(results: dict[str, Any], rows: list[Row], path: Path) -> None:
    data = {**results, "table": [r.to_dict() for r in rows]}
    path.write_text(json.dumps(data, indent=1, default=_json_default, allow_nan=True) + "\n", encoding="utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def write_png(rows: list[Row], path: Path, title: str = "cited bench") -> None:
    """One small panel per metric: ours beside the peer or floor (or beside the target when there is none)."""
    from matplotlib.figure import Figure

    panels = [r for r in rows if r.ours is not None and not (isinstance(r.ours, float) and math.isnan(r.ours))]
    panels = [r for r in panels if r.unit]  # the error count has no scale worth drawing
    cols = 4
    nrows = max(1, math.ceil(len(panels) / cols))
    fig = Figure(figsize=(3.2 * cols, 2.6 * nrows), layout="constrained")
    fig.suptitle(title)
    for i, row in enumerate(panels):
        ax = fig.add_subplot(nrows, cols, i + 1)
        ours_color = "tab:blue" if row.met is None else ("tab:green" if row.met else "tab:red")
        labels, values, colors = ["ours"], [float(row.ours or 0.0)], [ours_color]
        if row.other is not None:
            labels.append(row.other_label or "other")
            values.append(float(row.other))
            colors.append("tab:grey")
        bars = ax.bar(labels, values, color=colors)
        ax.bar_label(bars, labels=[fmt(v) for v in values], fontsize=7, padding=1.5)
        limit = _target_value(row.target)
        if limit is not None:
            ax.axhline(limit, color="tab:red", linestyle="--", linewidth=1)
            ax.text(
                0.98,
                limit,
                f"target {row.target}",
                color="tab:red",
                fontsize=6,
                ha="right",
                va="bottom",
                transform=ax.get_yaxis_transform(),
            )
        verdict = "" if row.met is None else (" ✓" if row.met else " ✗")
        ax.set_title(f"{row.section}\n{row.metric}{verdict}", fontsize=8)
        ax.set_ylabel(row.unit, fontsize=7)
        ax.tick_params(labelsize=7)
        ax.margins(y=0.2)
    fig.savefig(path, dpi=110)


def _target_value(target: str) -> float | None:
    import re

    m = re.search(r"([\d.]+)\s*(ms|s|MB)\b", target)
    return float(m.group(1)) if m else None
