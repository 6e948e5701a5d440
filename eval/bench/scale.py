"""`cited bench --scale`: SQuAD v1.1 train and dev contexts (about 21,000 paragraphs) in an index of their own.

What a user with a real archive meets: the ingest's time and peak memory (a fresh process, beside the fp32
embedding floor measured in the same run on a spread sample of the same chunks), the time a fresh process takes to
open that index, warm retrieve and ask latencies on it beside the bundled index, `cited serve`'s memory over each,
and an ingest killed with SIGKILL half-way whose rerun must reuse what it had embedded while the index it was
replacing kept answering. `--quick` does the same on a few hundred paragraphs (CI runs it).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from eval.bench.corpus import BUNDLED_DIR, COLLECTION, REPO_ROOT, bench_settings
from eval.bench.stats import median, ratio, summarize

SQUAD_DIR = REPO_ROOT.parent / "shared" / "benchmarks"
SCALE_FILES = ("squad-v1.1-train.json", "squad-v1.1-dev.json")
QUICK_PARAGRAPHS = 300
FLOOR_SAMPLE = 1500  # chunks embedded by the floor: a spread sample, not the whole corpus (minutes more)
SQUAD_QUESTIONS = 60  # beside the gold questions, in the latency runs on both indexes
KILL_AT = 0.5  # the share of the corpus's chunks embedded when the ingest is killed

INGEST = """
import sys, time
from pathlib import Path
from index.ingest import ingest
from eval.bench.corpus import bench_settings
t0 = time.perf_counter()
report = ingest([Path(sys.argv[1])], bench_settings(Path(sys.argv[2]), Path(sys.argv[1])), progress=False)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would report the parent's size at fork time
peak_kb = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(time.perf_counter() - t0, report.paragraphs, report.chunks, peak_kb)
"""
OPEN = """
import sys, time
from pathlib import Path
from eval.bench.corpus import bench_settings
from index.opening import open_index
settings = bench_settings(Path(sys.argv[1]), Path(sys.argv[1]))
t0 = time.perf_counter()
opened = open_index(settings)
print(time.perf_counter() - t0, len(opened.snapshot.paragraphs))
"""


def write_scale_corpus(squad_dir: Path, folder: Path, limit: int | None) -> int:
    """SQuAD's train and dev contexts as article files, one folder each; at most `limit` paragraphs (whole
    articles). Returns the paragraph count."""
    from eval import squad

    written = 0
    for name in SCALE_FILES:
        items = squad.articles(squad.load_squad(squad_dir / name))
        if limit is not None:
            kept: list[squad.SquadArticle] = []
            for item in items:
                if written + len(item.contexts) > limit and kept:
                    break
                kept.append(item)
                written += len(item.contexts)
            items = kept
        else:
            written += sum(len(item.contexts) for item in items)
        squad.write_articles(items, folder / Path(name).stem)
        if limit is not None and written >= limit:
            break
    return written


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    argv = [sys.executable, "-c", code, *args]
    return subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _output(proc: subprocess.Popen[str]) -> list[str]:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {err[-2000:]}")
    return out.split()


def ingest_in_a_process(folder: Path, index_dir: Path) -> dict[str, Any]:
    """A fresh process ingests `folder`: its seconds, paragraphs, chunks and peak RSS (the kernel's)."""
    seconds, paragraphs, chunks, max_rss_kb = _output(_python(INGEST, str(folder), str(index_dir)))
    return {
        "seconds": float(seconds),
        "paragraphs": int(paragraphs),
        "chunks": int(chunks),
        "paragraphs_per_s": int(paragraphs) / float(seconds),
        "peak_rss_mb": int(max_rss_kb) / 1024,
    }


def floor_rate(floor: Any, settings: Any, paragraphs: int, batch_size: int) -> dict[str, Any]:
    """The fp32 embedding floor (sentence-transformers alone) on a spread sample of the index's chunks, as
    paragraphs per second of this corpus (chunks per second × chunks per paragraph)."""
    from index.store import ChromaStore

    collection = ChromaStore(settings).current()
    assert collection is not None, "the scale index was just ingested"
    texts = [str(d) for d in collection.get(include=["documents"])["documents"] or []]
    sample = texts[:: max(1, len(texts) // FLOOR_SAMPLE)]
    seconds = floor.encode(sample, batch_size)
    chunks_per_s = len(sample) / seconds
    return {
        "sample_chunks": len(sample),
        "sample_s": seconds,
        "paragraphs_per_s": chunks_per_s * paragraphs / len(texts),
        "seconds_for_all": len(texts) / chunks_per_s,
    }


def open_seconds(index_dir: Path, reps: int) -> dict[str, Any]:
    """A fresh process opens the index (Chroma collection and snapshot), its imports done first."""
    runs = [float(_output(_python(OPEN, str(index_dir)))[0]) for _ in range(reps)]
    return {"runs_s": runs, "seconds": median(runs)}


def latencies(settings: Any, questions: list[str], passes: int, progress: bool) -> dict[str, Any]:
    """Warm retrieve and ask milliseconds (p50, p95…) over `questions` on one index."""
    from eval.bench.query_bench import run_latency
    from qa.assistant import Assistant
    from qa.retriever import Retriever

    retriever = Retriever.from_defaults(settings)
    assistant = Assistant.from_defaults(settings, retriever=retriever)
    samples = run_latency({"retrieve": retriever.retrieve, "ask": assistant.ask}, questions, passes, progress)
    return {name: summarize(values) for name, values in samples.items()}


def serve_rss(index_dir: Path, questions: list[str], asks: int) -> dict[str, Any]:
    """`cited serve` over an index: its peak RSS after `asks` questions."""
    from eval.bench.server_bench import bench_server

    served = bench_server(index_dir, COLLECTION, REPO_ROOT, questions, asks, clients=2, per_client=5)
    return {"peak_rss_mb": served["memory"]["peak_rss_mb"], "ready_s": served["ready_s"], "asks": asks}


def _resume_rows(settings: Any) -> int:
    try:
        with sqlite3.connect(settings.resume_vectors_path, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM vectors").fetchone()[0])
    except sqlite3.Error:
        return 0


class _Answering(threading.Thread):
    """Asks the index a question every 0.2 s until stopped, counting answers and errors: the index an ingest
    is replacing must keep answering while it runs and after it is killed."""

    def __init__(self, settings: Any, question: str) -> None:
        super().__init__(daemon=True)
        from qa.retriever import Retriever

        self.retriever = Retriever.from_defaults(settings)
        self.question = question
        self.answers = 0
        self.errors: list[str] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            try:
                self.answers += bool(self.retriever.retrieve(self.question, k=3))
            except Exception as err:  # counted and reported: the point of the exercise
                self.errors.append(f"{type(err).__name__}: {err}")


def kill_and_resume(folder: Path, workdir: Path, chunks: int, progress: bool) -> dict[str, Any]:
    """Publish the bundled articles, start ingesting `folder` into the same index in another process, SIGKILL it
    once `KILL_AT` of its chunks are embedded, then run the same ingest again here. Reports how many of the
    vectors embedded before the kill were embedded again, and whether the old index answered throughout."""
    from index.ingest import ingest

    settings = bench_settings(workdir / "resume-index", BUNDLED_DIR)
    ingest([BUNDLED_DIR], settings, progress=False)
    answering = _Answering(settings, "Who retook eastern Mosul?")
    answering.start()
    proc = _python(INGEST, str(folder), str(settings.index_dir))
    while _resume_rows(settings) < KILL_AT * chunks and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    embedded_before_kill = _resume_rows(settings)
    time.sleep(1.0)  # the old version answers after the kill too
    rerun = ingest([folder], settings, progress=progress)
    answering.stopped.set()
    answering.join()
    # rows committed between the count and the kill are reused too: more reused than counted is nothing lost
    again = max(0, embedded_before_kill - rerun.vectors_reused)
    return {
        "chunks": chunks,
        "embedded_before_kill": embedded_before_kill,
        "reused_by_rerun": rerun.vectors_reused,
        "embedded_again": again,
        "embedded_again_share": again / embedded_before_kill if embedded_before_kill else None,
        "rerun_s": rerun.seconds,
        "old_index_answers": answering.answers,
        "old_index_errors": answering.errors[:5],
        "old_index_error_count": len(answering.errors),
    }


def bench_scale(workdir: Path, floor: Any, questions: list[str], quick: bool, progress: bool) -> dict[str, Any]:
    """Every scale measurement, beside the bundled index built the same way."""
    from eval import squad

    folder = workdir / "scale-articles"
    limit = QUICK_PARAGRAPHS if quick else None
    contexts = write_scale_corpus(SQUAD_DIR, folder, limit)
    dev = squad.squad_records(squad.load_squad(SQUAD_DIR / SCALE_FILES[1]))
    asked = questions + [r.question for r in dev[:: max(1, len(dev) // SQUAD_QUESTIONS)]][:SQUAD_QUESTIONS]
    result: dict[str, Any] = {"contexts": contexts, "quick": quick}
    indexes = {"scale": workdir / "scale-index", "bundled": workdir / "scale-bundled-index"}
    result["ingest"] = ingest_in_a_process(folder, indexes["scale"])
    result["bundled_ingest"] = ingest_in_a_process(BUNDLED_DIR, indexes["bundled"])
    scale_settings = bench_settings(indexes["scale"], folder)
    result["floor"] = floor_rate(floor, scale_settings, result["ingest"]["paragraphs"], 64)
    result["ingest_vs_floor"] = ratio(result["floor"]["paragraphs_per_s"], result["ingest"]["paragraphs_per_s"])
    result["open"] = {name: open_seconds(path, 1 if quick else 3) for name, path in indexes.items()}
    passes = 1 if quick else 2
    result["latency"] = {
        name: latencies(bench_settings(path, folder), asked, passes, progress) for name, path in indexes.items()
    }
    asks = 20 if quick else 100
    result["serve"] = {name: serve_rss(path, asked, asks) for name, path in indexes.items()}
    result["kill_resume"] = kill_and_resume(folder, workdir, result["ingest"]["chunks"], progress)
    return result
