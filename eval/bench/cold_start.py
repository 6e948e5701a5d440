"""Cold start: seconds from process start to the first printed line of an answer, in a fresh Python process.

Ours is `python -m ui.cli ask QUESTION` with CITED_INDEX_DIR set; the peer is `python -m
eval.bench.peer_cold`. Runs alternate between the two (median of the repetitions), and a bare `python -c pass`
gives the interpreter's own start-up as a floor.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.bench.stats import median, ratio

QUESTION = "Who retook eastern Mosul?"
TIMEOUT_S = 300.0


@dataclass
class ColdRun:
    first_output_s: float | None
    exit_s: float
    returncode: int
    first_line: str
    stderr_tail: str


def time_first_line(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = TIMEOUT_S) -> ColdRun:
    """Start `argv`, time until its first non-blank stdout line, then until it exits."""
    # stderr goes to a file, not a pipe: a chatty stderr cannot block the child while stdout is read.
    with tempfile.TemporaryFile(mode="w+") as err_file:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=err_file,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **env},
            cwd=cwd,
            text=True,
        )
        first_s: float | None = None
        first_line = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip():
                first_s = time.perf_counter() - t0
                first_line = line.strip()
                break
            if time.perf_counter() - t0 > timeout:
                break
        try:
            proc.communicate(timeout=max(timeout - (time.perf_counter() - t0), 1.0))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        exit_s = time.perf_counter() - t0
        err_file.seek(0)
        err = err_file.read()
    if proc.returncode != 0:
        first_s = None  # an error message is not an answer
    return ColdRun(first_s, exit_s, proc.returncode, first_line[:200], (err or "")[-800:])


def bench_cold_start(
    index_dir: Path, collection: str, cwd: Path, reps: int, question: str = QUESTION
) -> dict[str, Any]:
    env = {"CITED_INDEX_DIR": str(index_dir), "CITED_COLLECTION": collection, "CITED_ANSWERER": "extractive"}
    ours_argv = [sys.executable, "-m", "ui.cli", "ask", question]
    peer_argv = [
        sys.executable,
        "-m",
        "eval.bench.peer_cold",
        "--index-dir",
        str(index_dir),
        "--collection",
        collection,
    ]
    peer_argv.append(question)
    bare = [time_first_line([sys.executable, "-c", "print('ok')"], {}, cwd).first_output_s for _ in range(3)]
    ours: list[ColdRun] = []
    peer: list[ColdRun] = []
    for rep in range(reps):
        order = [(ours_argv, ours), (peer_argv, peer)]
        for argv, runs in order if rep % 2 == 0 else order[::-1]:
            runs.append(time_first_line(argv, env, cwd))
    ours_s = _median_ok(ours)
    peer_s = _median_ok(peer)
    return {
        "question": question,
        "reps": reps,
        "ours_s": ours_s,
        "ours_runs_s": [r.first_output_s for r in ours],
        "ours_exit_s": median([r.exit_s for r in ours]),
        "ours_first_line": ours[-1].first_line,
        "ours_error": None if ours_s is not None else ours[-1].stderr_tail,
        "peer_s": peer_s,
        "peer_runs_s": [r.first_output_s for r in peer],
        "peer_exit_s": median([r.exit_s for r in peer]),
        "peer_first_line": peer[-1].first_line,
        "peer_error": None if peer_s is not None else peer[-1].stderr_tail,
        "python_startup_s": median([b for b in bare if b is not None]),
        "ratio": ratio(ours_s, peer_s),
    }


def _median_ok(runs: list[ColdRun]) -> float | None:
    ok = [r.first_output_s for r in runs if r.first_output_s is not None]
    return median(ok) if ok else None
