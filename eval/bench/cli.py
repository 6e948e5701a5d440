"""`cited bench [--out DIR] [--quick]`: measure ingest, query latency, cold start, memory and concurrency in
one run on this machine, beside a vanilla llama-index peer and the raw embedding floor, and report against the
targets.

Writes DIR/bench.json (every sample), DIR/bench.md and DIR/bench.png, and prints the table. Every index it
builds is a fresh one in a temporary folder; the user's index is never touched. A section that fails is
reported as not measured and the others still run (exit code 1 then); missed targets are reported, not
failures.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eval.bench.corpus import BUNDLED_DIR, COLLECTION, REPO_ROOT, SQUAD_PATH, bench_settings, gold_questions

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
    write_json(results, rows, out / "bench.json")
    (out / "bench.md").write_text(markdown(rows, results), encoding="utf-8")
    write_png(rows, out / "bench.png", title="cited bench" + (" (quick)" if quick else ""))
    print_table(rows, results, console)
    console.print(f"Report: {out}/bench.md (and bench.json, bench.png)")
    return 1 if results["failed"] else 0


def _run_all(
    run: Run, args: argparse.Namespace, workdir: Path, reps: int, passes: int, skip: set[str], progress: bool
) -> None:
    from eval.bench import cold_start, diagnose, ingest_bench, query_bench, reader_bench, server_bench

    results = run.results
    questions = gold_questions()
    if args.quick:  # a sample spread over every article and category, for a run of a few minutes
        from eval.datasets import spread_sample

        questions = spread_sample(questions, QUICK_QUESTIONS)
    n_questions = len(questions)

    def load_models() -> dict[str, float]:
        t0 = time.perf_counter()
        import sentence_transformers  # noqa: F401  (its import, torch's included, is reported on its own)

        import_s = time.perf_counter() - t0
        import torch

        models["torch_threads"] = torch.get_num_threads()  # as found, before any cited code could change it
        cited_load_s = ingest_bench.load_cited_model(bench_settings(workdir, BUNDLED_DIR).embed_model)
        floor = ingest_bench.load_floor_model(models["torch_threads"])
        models["_floor"] = floor
        return {
            "import_sentence_transformers_s": import_s,
            "cited_load_s": cited_load_s,
            "floor_import_s": floor.import_s,
            "floor_load_s": floor.load_s,
            "torch_threads_default": models["torch_threads"],
        }

    models: dict[str, Any] = {}
    loaded = run.step("load the models", "models", load_models)
    if loaded is None:
        return
    results["models"] = loaded
    floor = models["_floor"]
    peer_threads = int(models["torch_threads"])
    ingest: dict[str, Any] = {}
    results["ingest"] = ingest

    bundled = run.step(
        f"ingest the bundled articles ({reps}×, beside the embedding floor)",
        "ingest bundled",
        lambda: ingest_bench.bench_ingest(
            "bundled", BUNDLED_DIR, floor, reps, workdir, keep_index=True, progress=progress
        ),
    )
    if bundled is None:
        return
    ingest["bundled"] = bundled
    index_dir = Path(bundled["index_dir"])
    settings = bench_settings(index_dir, BUNDLED_DIR)

    if "squad" not in skip:

        def squad_ingest() -> dict[str, Any]:
            folder = workdir / "squad-articles"
            contexts = _write_squad(args.squad, folder)
            squad_reps = max(1, args.squad_reps)
            result = ingest_bench.bench_ingest(
                "squad", folder, floor, squad_reps, workdir, progress=progress, all_texts_floor=False
            )
            result["squad_contexts"] = contexts
            return result

        squad = run.step(f"ingest SQuAD v1.1 dev (2,067 paragraphs, {args.squad_reps}×)", "ingest squad", squad_ingest)
        if squad is not None:
            ingest["squad"] = squad

    diagnosis: dict[str, Any] = {}
    results["diagnosis"] = diagnosis
    if "query" not in skip:

        def queries() -> dict[str, Any]:
            return query_bench.bench_queries(settings, questions, floor.model, passes, progress, peer_threads)

        query = run.step(f"warm queries ({n_questions} gold questions × {passes} pass(es))", "query", queries)
        if query is not None:
            results["query"] = query

        def stages() -> dict[str, Any]:
            from eval.bench.peer import build_peer
            from index.store import ChromaStore
            from qa.assistant import Assistant
            from qa.retriever import Retriever

            retriever = Retriever.from_defaults(settings)
            assistant = Assistant.from_defaults(settings, retriever=retriever)
            peer = build_peer(ChromaStore(settings).current(), floor.model, settings.top_k, peer_threads)
            embedder = retriever.embedder()
            vectors = [embedder.encode_one(q).tolist() for q in questions]
            collection = ChromaStore(settings).current()
            return {
                "ask_stages_ms": diagnose.ask_stages(assistant, questions),
                "peer_stages_ms": diagnose.peer_stages(peer, questions),
                "raw_model_query_by_threads_ms": diagnose.embed_threads(floor.model, questions, peer_threads),
                "chroma_query_variants_ms": diagnose.chroma_variants(collection, vectors, max(4 * settings.top_k, 20)),
            }

        split = run.step("split one question into stages", "stages", stages)
        if split is not None:
            diagnosis.update(split)

    if "reader" not in skip:
        reader = run.step(
            f"reader beside Haystack's on the top {settings.top_k} passages ({n_questions} questions × {passes})",
            "reader",
            lambda: reader_bench.bench_reader(settings, questions, passes, progress),
        )
        if reader is not None:
            results["reader"] = reader

    if "cold" not in skip:
        cold = run.step(
            f"cold start ({reps}× each)",
            "cold start",
            lambda: cold_start.bench_cold_start(index_dir, COLLECTION, REPO_ROOT, reps),
        )
        if cold is not None:
            results["cold_start"] = cold
            if cold.get("ours_s") is None:
                run.results["failed"]["cold start"] = f"`cited ask` gave no answer: {cold.get('ours_error')}"

    if "imports" not in skip:
        env = {
            "CITED_INDEX_DIR": str(index_dir),
            "CITED_COLLECTION": COLLECTION,
            "CITED_ANSWERER": "extractive",
        }
        imports = run.step(
            "import times on the `cited ask` path",
            "imports",
            lambda: diagnose.import_times(["-m", "ui.cli", "ask", cold_start.QUESTION], env, REPO_ROOT),
        )
        if imports is not None:
            diagnosis["imports"] = imports
        profile = run.step(
            "first-use costs inside a cold ask",
            "cold profile",
            lambda: diagnose.cold_profile(env, REPO_ROOT, cold_start.QUESTION),
        )
        if profile is not None:
            diagnosis["cold_ask_s"] = profile

    if "server" not in skip:
        memory_questions, clients, per_client = (30, 8, 5) if args.quick else (100, 8, 25)
        server = run.step(
            f"`cited serve`: {memory_questions} asks, then {clients} clients × {per_client}",
            "server",
            lambda: server_bench.bench_server(
                index_dir, COLLECTION, REPO_ROOT, questions, memory_questions, clients, per_client
            ),
        )
        if server is not None:
            results["server"] = server


def _write_squad(squad_path: Path, folder: Path) -> int:
    from eval.bench.corpus import write_squad_articles

    return write_squad_articles(squad_path, folder)
