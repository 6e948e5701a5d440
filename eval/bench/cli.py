"""`cited bench [--out DIR] [--quick]`: measure ingest, query latency, cold start, memory and concurrency in
one run on this machine, beside a vanilla llama-index peer and the raw embedding floor, and report against the
targets.

Writes DIR/bench.json (every sample), DIR/bench.md and DIR/bench.png (`--scale`: scale.*), and prints the
table. Every index it builds is a fresh one in a temporary folder; the user's index is never touched. A section
that fails is reported as not measured and the others still run (exit code 1 then); missed targets are reported,
not failures.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.bench.corpus import BUNDLED_DIR, COLLECTION, REPO_ROOT, SQUAD_PATH, bench_settings, gold_questions

if TYPE_CHECKING:
    from eval.bench.ingest_bench import FloorModel

DEFAULT_OUT = Path("reports/bench")
QUICK_QUESTIONS = 40


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cited bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--quick", action="store_true", help="a reduced run: bundled corpus only, fewer repetitions")
    parser.add_argument("--squad", type=Path, default=SQUAD_PATH, help="SQuAD v1.1 JSON for the large ingest")
    parser.add_argument("--reps", type=int, help="repetitions of ingest and cold start (default 3; quick 1)")
    parser.add_argument(
        "--squad-reps", type=int, default=1, help="repetitions of the SQuAD ingest (default 1: minutes each)"
    )
    parser.add_argument("--passes", type=int, help="passes over the gold questions (default 3; quick 1)")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["squad", "query", "reader", "cold", "server", "imports"],
        help="leave out a section (repeatable)",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="only the scale run: SQuAD train + dev contexts (~21k paragraphs) in an index of their own "
        "(about 30 minutes; with --quick a few hundred paragraphs)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary indexes (their folder is printed)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


class Run:
    """The results dict plus a step runner that records failures instead of stopping."""

    def __init__(self, console: Any, quick: bool) -> None:
        self.console = console
        self.results: dict[str, Any] = {"quick": quick, "failed": {}}
        self.step_no = 0

    def step(self, title: str, key: str, fn: Callable[[], Any]) -> Any:
        self.step_no += 1
        self.console.rule(f"[bold]{self.step_no}. {title}")
        t0 = time.perf_counter()
        try:
            value = fn()
        except Exception as err:  # one broken section must not lose the others' numbers
            self.results["failed"][key] = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=6)}"
            self.console.print(f"[red]{title} failed:[/red] {type(err).__name__}: {str(err)[:500]}")
            return None
        self.console.print(f"[dim]{title}: {time.perf_counter() - t0:.1f} s[/dim]")
        return value


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    args = build_parser().parse_args(argv)
    console = Console()
    quick = args.quick
    reps = args.reps or (1 if quick else 3)
    passes = args.passes or (1 if quick else 3)
    skip = set(args.skip) | ({"squad", "imports"} if quick else set())
    progress = not args.no_progress
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    from eval.bench.machine import machine_info

    run = Run(console, quick)
    results = run.results
    results["started"] = datetime.now(timezone.utc).isoformat(timespec="seconds")  # noqa: UP017
    results["machine"] = machine_info()
    results["config"] = {
        "reps": reps,
        "squad_reps": args.squad_reps,
        "passes": passes,
        "skipped": sorted(skip),
        "squad": str(args.squad),
    }
    t_start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="cited-bench-"))
    try:
        _run_all(run, args, workdir, reps, passes, skip, progress)
    finally:
        if args.keep:
            console.print(f"temporary indexes kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["wall_clock_s"] = time.perf_counter() - t_start
    results["machine"]["load_average_end"] = machine_info()["load_average"]

    from eval.bench.report import markdown, print_table, write_json, write_png
    from eval.bench.targets import build_rows

    rows = build_rows(results)
    name = "scale" if args.scale else "bench"  # a scale run does not overwrite the main report
    write_json(results, rows, out / f"{name}.json")
    (out / f"{name}.md").write_text(markdown(rows, results), encoding="utf-8")
    write_png(rows, out / f"{name}.png", title=f"cited {name}" + (" (quick)" if quick else ""))
    print_table(rows, results, console)
    console.print(f"Report: {out}/{name}.md (and {name}.json, {name}.png)")
    return 1 if results["failed"] else 0


@dataclass
class _BenchContext:
    """What the sections after the bundled ingest share: the options, the questions, the models, the index."""

    run: Run
    args: argparse.Namespace
    workdir: Path
    reps: int
    passes: int
    progress: bool
    questions: list[Any]
    floor: FloorModel
    peer_threads: int  # torch's threads as a plain process has them: the peer runs with these
    index_dir: Path  # the bundled index, built once and measured by every later section
    settings: Any

    def record(self, title: str, key: str, fn: Callable[[], Any], into: dict[str, Any], name: str) -> Any:
        """Run one step and, when it gave a value, store it as `into[name]`."""
        value = self.run.step(title, key, fn)
        if value is not None:
            into[name] = value
        return value


def _run_all(
    run: Run, args: argparse.Namespace, workdir: Path, reps: int, passes: int, skip: set[str], progress: bool
) -> None:
    """Every section in order, less those in `skip`; without the models or the bundled index none can run."""
    from eval.bench import ingest_bench

    results = run.results
    questions = _bench_questions(args.quick)
    loaded = run.step("load the models", "models", lambda: _load_models(workdir))
    if loaded is None:
        return
    results["models"], floor = loaded
    if args.scale:
        from eval.bench.scale import bench_scale

        title = "scale: SQuAD v1.1 train + dev contexts in an index of their own" + (" (quick)" * args.quick)
        scale = run.step(title, "scale", lambda: bench_scale(workdir, floor, questions, args.quick, progress))
        if scale is not None:
            results["scale"] = scale
        return
    results["ingest"] = {}
    bundled = run.step(
        f"ingest the bundled articles ({reps}×, beside the embedding floor)",
        "ingest bundled",
        lambda: ingest_bench.bench_ingest(
            "bundled", BUNDLED_DIR, floor, reps, workdir, keep_index=True, progress=progress
        ),
    )
    if bundled is None:
        return
    results["ingest"]["bundled"] = bundled
    index_dir = Path(bundled["index_dir"])
    bench = _BenchContext(
        run=run,
        args=args,
        workdir=workdir,
        reps=reps,
        passes=passes,
        progress=progress,
        questions=questions,
        floor=floor,
        peer_threads=int(results["models"]["torch_threads_default"]),
        index_dir=index_dir,
        settings=bench_settings(index_dir, BUNDLED_DIR),
    )
    if "squad" not in skip:
        _squad_section(bench)
    results["diagnosis"] = {}
    for name, section in _SECTIONS:
        if name not in skip:
            section(bench)


def _bench_questions(quick: bool) -> list[Any]:
    """The gold questions; for a quick run, a sample spread over every article and category."""
    questions = gold_questions()
    if quick:
        from eval.datasets import spread_sample

        questions = spread_sample(questions, QUICK_QUESTIONS)
    return questions


def _load_models(workdir: Path) -> tuple[dict[str, float], FloorModel]:
    """Load cited's embedding model and the floor's, timing the import of sentence-transformers on its own."""
    from eval.bench import ingest_bench

    t0 = time.perf_counter()
    import sentence_transformers  # noqa: F401  (its import, torch's included, is reported on its own)

    import_s = time.perf_counter() - t0
    import torch

    torch_threads = torch.get_num_threads()  # as found, before any cited code could change it
    cited_load_s = ingest_bench.load_cited_model(bench_settings(workdir, BUNDLED_DIR))
    floor = ingest_bench.load_floor_model(torch_threads)
    loads = {
        "import_sentence_transformers_s": import_s,
        "cited_load_s": cited_load_s,
        "floor_import_s": floor.import_s,
        "floor_load_s": floor.load_s,
        "torch_threads_default": torch_threads,
    }
    return loads, floor


def _squad_section(bench: _BenchContext) -> None:
    """Ingest the SQuAD v1.1 dev paragraphs, written out as articles, beside the floor."""
    from eval.bench import ingest_bench

    args = bench.args

    def squad_ingest() -> dict[str, Any]:
        folder = bench.workdir / "squad-articles"
        contexts = _write_squad(args.squad, folder)
        squad_reps = max(1, args.squad_reps)
        result = ingest_bench.bench_ingest(
            "squad", folder, bench.floor, squad_reps, bench.workdir, progress=bench.progress
        )
        result["squad_contexts"] = contexts
        return result

    title = f"ingest SQuAD v1.1 dev (2,067 paragraphs, {args.squad_reps}×)"
    bench.record(title, "ingest squad", squad_ingest, bench.run.results["ingest"], "squad")


def _query_section(bench: _BenchContext) -> None:
    """Warm query latencies over the gold questions, then one question split into its stages."""
    from eval.bench import query_bench

    results = bench.run.results

    def queries() -> dict[str, Any]:
        return query_bench.bench_queries(
            bench.settings, bench.questions, bench.floor.model, bench.passes, bench.progress, bench.peer_threads
        )

    title = f"warm queries ({len(bench.questions)} gold questions × {bench.passes} pass(es))"
    bench.record(title, "query", queries, results, "query")
    split = bench.run.step("split one question into stages", "stages", lambda: _stage_split(bench))
    if split is not None:
        results["diagnosis"].update(split)


def _stage_split(bench: _BenchContext) -> dict[str, Any]:
    """Median milliseconds per stage: our ask, the peer's retrieval, the raw model by threads, Chroma variants."""
    from eval.bench import diagnose
    from eval.bench.peer import build_peer
    from index.store import ChromaStore
    from qa.assistant import Assistant
    from qa.retriever import Retriever

    settings, questions, floor = bench.settings, bench.questions, bench.floor
    retriever = Retriever.from_defaults(settings)
    assistant = Assistant.from_defaults(settings, retriever=retriever)
    peer = build_peer(ChromaStore(settings).current(), floor.model, settings.top_k, bench.peer_threads)
    embedder = retriever.embedder()
    vectors = [embedder.encode_one(q).tolist() for q in questions]
    collection = ChromaStore(settings).current()
    return {
        "ask_stages_ms": diagnose.ask_stages(assistant, questions),
        "peer_stages_ms": diagnose.peer_stages(peer, questions),
        "raw_model_query_by_threads_ms": diagnose.embed_threads(floor.model, questions, bench.peer_threads),
        "chroma_query_variants_ms": diagnose.chroma_variants(collection, vectors, max(4 * settings.top_k, 20)),
    }


def _reader_section(bench: _BenchContext) -> None:
    """Our reader beside Haystack's on the passages we retrieve."""
    from eval.bench import reader_bench

    title = (
        f"reader beside Haystack's on the top {bench.settings.top_k} passages "
        f"({len(bench.questions)} questions × {bench.passes})"
    )
    bench.record(
        title,
        "reader",
        lambda: reader_bench.bench_reader(bench.settings, bench.questions, bench.passes, bench.progress),
        bench.run.results,
        "reader",
    )


def _cold_start_section(bench: _BenchContext) -> None:
    """A fresh `cited ask` process to its first answer, beside the peer's script; no answer counts as a failure."""
    from eval.bench import cold_start

    results = bench.run.results
    cold = bench.record(
        f"cold start ({bench.reps}× each)",
        "cold start",
        lambda: cold_start.bench_cold_start(bench.index_dir, COLLECTION, REPO_ROOT, bench.reps),
        results,
        "cold_start",
    )
    if cold is not None and cold.get("ours_s") is None:
        results["failed"]["cold start"] = f"`cited ask` gave no answer: {cold.get('ours_error')}"


def _imports_section(bench: _BenchContext) -> None:
    """Import times on the `cited ask` path, then the first-use costs inside a cold ask."""
    from eval.bench import cold_start, diagnose

    diagnosis = bench.run.results["diagnosis"]
    env = {
        "CITED_INDEX_DIR": str(bench.index_dir),
        "CITED_COLLECTION": COLLECTION,
        "CITED_ANSWERER": "extractive",
    }
    bench.record(
        "import times on the `cited ask` path",
        "imports",
        lambda: diagnose.import_times(["-m", "ui.cli", "ask", cold_start.QUESTION], env, REPO_ROOT),
        diagnosis,
        "imports",
    )
    bench.record(
        "first-use costs inside a cold ask",
        "cold profile",
        lambda: diagnose.cold_profile(env, REPO_ROOT, cold_start.QUESTION),
        diagnosis,
        "cold_ask_s",
    )


def _server_section(bench: _BenchContext) -> None:
    """`cited serve`: its memory over a run of asks, then concurrent clients."""
    from eval.bench import server_bench

    memory_questions, clients, per_client = (30, 8, 5) if bench.args.quick else (100, 8, 25)
    bench.record(
        f"`cited serve`: {memory_questions} asks, then {clients} clients × {per_client}",
        "server",
        lambda: server_bench.bench_server(
            bench.index_dir, COLLECTION, REPO_ROOT, bench.questions, memory_questions, clients, per_client
        ),
        bench.run.results,
        "server",
    )


# The sections after the ingests, in the order they run, each under the name `--skip` knows it by.
_SECTIONS: list[tuple[str, Callable[[_BenchContext], None]]] = [
    ("query", _query_section),
    ("reader", _reader_section),
    ("cold", _cold_start_section),
    ("imports", _imports_section),
    ("server", _server_section),
]


def _write_squad(squad_path: Path, folder: Path) -> int:
    from eval.bench.corpus import write_squad_articles

    return write_squad_articles(squad_path, folder)
