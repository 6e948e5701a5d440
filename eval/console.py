"""The summary printed at the end of `cited eval`: the headline numbers without opening a file."""

from __future__ import annotations

from typing import Any

from eval.formatting import ANSWERER_COLUMNS, RETRIEVAL_COLUMNS, corpus_line, fmt, label
from eval.metrics import section_keys


def print_summary(report: dict[str, Any], out_dir: str, console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    dataset = report["dataset"]
    table = Table(
        title=f"cited eval: {dataset['name']} ({report['answerer']}, k={report['k']})",
        caption=f"{corpus_line(report['corpus'])}; {report['wall_clock_s']:.1f} s",
    )
    table.add_column("Section", style="bold")
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    for section, keys in section_keys().items():
        for i, key in enumerate(keys):
            table.add_row(
                section if i == 0 else "",
                label(key),
                fmt(section, report[section][key]),
                end_section=i == len(keys) - 1,
            )
    console.print(table)

    compare = report.get("compare")
    if compare:
        modes = Table(title="Retrieval mode")
        modes.add_column("Mode", style="bold")
        for key in RETRIEVAL_COLUMNS:
            modes.add_column(label(key), justify="right")
        for mode, m in compare["retrieval"].items():
            modes.add_row(mode, *(fmt("retrieval", m[k]) for k in RETRIEVAL_COLUMNS))
        console.print(modes)
        # Metrics as rows, answerers as columns: fits a terminal however many metrics there are.
        answerers = Table(title="Answerer")
        answerers.add_column("Metric", style="bold")
        for name in compare["answerers"]:
            answerers.add_column(name, justify="right")
        for section, key, title in ANSWERER_COLUMNS:
            answerers.add_row(title, *(fmt(section, m[section][key]) for m in compare["answerers"].values()))
        console.print(answerers)
    console.print(f"Report: {out_dir}/report.md (and report.json, plots)")
