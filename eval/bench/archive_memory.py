"""Memory of ingesting a JSON Lines news archive, as the archive grows.

    python -m eval.bench.archive_memory [--sizes 2500 5000 10000] [--out reports/archive-memory]

For each size it writes a synthetic archive (one record per article, each a headline, a date, an outlet and two
short paragraphs), ingests it in a fresh process into a fresh index, and reads that process's peak RSS; then it opens
the index in another fresh process (the snapshot and one query: what a server holds) and reads that peak too. The
archive is read a record at a time, so what ingest holds beyond the opened index should not grow with the file:
the report gives both peaks and their difference per size, with a plot.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

INGEST = """
import resource, sys
from pathlib import Path
from index.ingest import ingest
from index.settings import Settings
report = ingest([Path(sys.argv[1])], Settings(index_dir=Path(sys.argv[2])), progress=False)
print(report.documents, report.paragraphs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
OPEN = """
import resource, sys
from pathlib import Path
from index.settings import Settings
from qa.retriever import Retriever
Retriever.from_defaults(Settings(index_dir=Path(sys.argv[1]))).retrieve("Who won the city marathon?", k=5)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
TOPICS = ("marathon", "council vote", "bridge repair", "book prize", "harbour strike", "school budget")


def write_archive(path: Path, records: int) -> None:
    """`records` distinct synthetic articles, streamed to `path`."""
    start = date(2020, 1, 1)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(records):
            topic = TOPICS[i % len(TOPICS)]
            text = (
                f"Officials in district {i} reported on the {topic} on Monday, saying record {i} was filed late. "
                f"Residents of ward {i % 97} said the {topic} had been expected for months.\n\n"
                f"A spokesperson for the {topic} committee said a further statement, number {i}, would follow."
            )
            day = (start + timedelta(days=i % 1500)).isoformat()
            record = {"id": f"r{i}", "title": f"Update {i} on the {topic}", "text": text, "published": day,
                      "source": f"Outlet {i % 13}"}  # fmt: skip
            fh.write(json.dumps(record) + "\n")


def _run(code: str, *args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measurement process failed:\n{done.stderr[-2000:]}")
    return done.stdout.split()


def measure(size: int, work: Path) -> dict[str, Any]:
    archive, index = work / f"archive-{size}.jsonl", work / f"index-{size}"
    write_archive(archive, size)
    documents, paragraphs, ingest_kb = _run(INGEST, str(archive), str(index))
    (open_kb,) = _run(OPEN, str(index))
    return {
        "records": size,
        "archive_mb": archive.stat().st_size / 2**20,
        "documents": int(documents),
        "paragraphs": int(paragraphs),
        "ingest_peak_mb": int(ingest_kb) / 1024,
        "open_peak_mb": int(open_kb) / 1024,
        "ingest_beyond_open_mb": (int(ingest_kb) - int(open_kb)) / 1024,
    }


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.4), layout="constrained")
    ax = fig.subplots()
    sizes = [r["records"] for r in rows]
    for key, label in (("ingest_peak_mb", "ingest peak"), ("open_peak_mb", "opened index (one query)")):
        ax.plot(sizes, [r[key] for r in rows], marker="o", label=label)
    ax.set_xlabel("records in the archive")
    ax.set_ylabel("peak RSS (MB)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.archive_memory", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10000])
    parser.add_argument("--out", type=Path, default=Path("reports/archive-memory"))
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            rows.append(measure(size, Path(tmp)))
            print(json.dumps(rows[-1]), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "archive-memory.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    plot(rows, args.out / "archive-memory.png")
    print(f"report: {args.out / 'archive-memory.json'} and archive-memory.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
