"""`python -m eval.encoder_compare [--encoders onnx onnx-int8 torch] [--squad FILE] [--limit N]`: the same corpora
ingested and searched with each encoder runtime, in one run, so speed and retrieval quality sit side by side.

For each encoder: the bundled articles and the SQuAD dev contexts are ingested into fresh temporary indexes
(ingest seconds and paragraphs per second), then every answerable question of the gold and held-out sets and of
SQuAD dev is searched with fused retrieval (hit@k, MRR); the query embedding time is timed alone too. Writes
DIR/encoders.json, DIR/encoders.md and DIR/encoders.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.bench.corpus import BUNDLED_DIR, REPO_ROOT, SQUAD_PATH, bench_settings
from eval.datasets import EvalRecord, load_dataset, spread_sample
from eval.metrics import retrieval_metrics
from eval.runner import retrieval_ranks
from index.limits import ENCODERS
from index.settings import Settings

QUESTION_SETS = {
    "gold": REPO_ROOT / "eval" / "datasets" / "articles.jsonl",
    "held-out 1": REPO_ROOT / "eval" / "datasets" / "articles-heldout.jsonl",
    "held-out 2": REPO_ROOT / "eval" / "datasets" / "articles-heldout2.jsonl",
}
DEFAULT_OUT = Path("reports/encoders")
QUERY_SAMPLES = 200


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval.encoder_compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoders", nargs="+", choices=ENCODERS, default=list(ENCODERS))
    parser.add_argument("--squad", type=Path, default=SQUAD_PATH, help="SQuAD v1.1 JSON (default: dev)")
    parser.add_argument("--limit", type=int, help="SQuAD questions spread over the file (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--no-progress", action="store_true")
    return parser


def _timed_ingest(folder: Path, settings: Settings, progress: bool) -> dict[str, Any]:
    from index.ingest import ingest

    t0 = time.perf_counter()
    report = ingest([folder], settings, progress=progress)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "paragraphs": report.paragraphs, "paragraphs_per_s": report.paragraphs / seconds}


def _quality(records: list[EvalRecord], settings: Settings, progress: bool, desc: str) -> dict[str, Any]:
    from qa.retriever import Retriever

    ranks = retrieval_ranks(records, {}, Retriever.from_defaults(settings), progress=progress, desc=desc)
    return {"questions": len(ranks), **retrieval_metrics(ranks)}


def _query_ms(settings: Settings, questions: list[str]) -> float:
    from index.embedder import embedder_for

    embedder = embedder_for(settings)
    samples = []
    for question in questions:
        t0 = time.perf_counter()
        embedder.encode_one(question)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def measure(encoder: str, squad_path: Path, limit: int | None, work: Path, progress: bool) -> dict[str, Any]:
    """One encoder: its load time, both ingests, query embedding p50 and retrieval quality on every set."""
    from eval import squad
    from index.embedder import embedder_for

    result: dict[str, Any] = {"encoder": encoder}
    bundled = bench_settings(work / encoder / "bundled", BUNDLED_DIR).model_copy(update={"encoder": encoder})
    t0 = time.perf_counter()
    result["name"] = embedder_for(bundled).name
    result["load_s"] = time.perf_counter() - t0
    result["bundled_ingest"] = _timed_ingest(BUNDLED_DIR, bundled, progress)
    data = squad.load_squad(squad_path)
    articles_dir = work / "squad-articles"
    if not articles_dir.is_dir():
        squad.write_articles(squad.articles(data), articles_dir)
    squad_settings = bench_settings(work / encoder / "squad", articles_dir).model_copy(update={"encoder": encoder})
    result["squad_ingest"] = _timed_ingest(articles_dir, squad_settings, progress)
    records = spread_sample(squad.squad_records(data), limit)
    result["query_embed_ms_p50"] = _query_ms(bundled, [r.question for r in records[:QUERY_SAMPLES]])
    result["quality"] = {
        name: _quality(load_dataset(path), bundled, progress, f"{encoder} {name}")
        for name, path in QUESTION_SETS.items()
    }
    result["quality"]["SQuAD dev"] = _quality(records, squad_settings, progress, f"{encoder} SQuAD")
    return result


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| encoder | SQuAD ingest s | ¶/s | bundled ingest s | query embed ms p50 | "
        + " | ".join(f"{s} hit@5 / MRR" for s in results[0]["quality"])
        + " |",
        "| --- " * (5 + len(results[0]["quality"])) + "|",
    ]
    for r in results:
        quality = " | ".join(f"{q['hit@5']:.3f} / {q['mrr']:.3f}" for q in r["quality"].values())
        lines.append(
            f"| {r['name']} | {r['squad_ingest']['seconds']:.1f} | {r['squad_ingest']['paragraphs_per_s']:.1f} | "
            f"{r['bundled_ingest']['seconds']:.1f} | {r['query_embed_ms_p50']:.1f} | {quality} |"
        )
    return "\n".join(lines) + "\n"


def plot(results: list[dict[str, Any]], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6), layout="constrained")
    speed, quality = fig.subplots(1, 2)
    names = [r["name"] for r in results]
    speed.barh(names, [r["squad_ingest"]["paragraphs_per_s"] for r in results], color="tab:blue")
    speed.set_xlabel("SQuAD dev ingest, paragraphs per second")
    sets = list(results[0]["quality"])
    width = 0.8 / len(results)
    for i, r in enumerate(results):
        xs = [s + (i - (len(results) - 1) / 2) * width for s in range(len(sets))]
        quality.bar(xs, [r["quality"][s]["mrr"] for s in sets], width=width, label=r["name"])
    quality.set_xticks(range(len(sets)), sets)
    quality.set_ylabel("fused MRR")
    quality.set_ylim(0.5, 1.0)
    quality.legend(fontsize=7)
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cited-encoders-") as tmp:
        results = [measure(e, args.squad, args.limit, Path(tmp), not args.no_progress) for e in args.encoders]
    (args.out / "encoders.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    table = markdown(results)
    (args.out / "encoders.md").write_text(table, encoding="utf-8")
    plot(results, args.out / "encoders.png")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
