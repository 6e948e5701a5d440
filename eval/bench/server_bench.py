"""`cited serve` under load: peak memory after 100 questions, then 8 concurrent clients on loopback.

The server runs as a subprocess (`python -m ui.cli serve --port N --index-dir D`, or `python -m ui.serve`
while the CLI does not know `serve` yet); a sampler thread adds up the RSS of it and all its children every 50
ms, and the kernel's own high-water marks (VmHWM) are read at the end as a cross-check.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.bench.stats import summarize

START_TIMEOUT_S = 180.0
REQUEST_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_argv(port: int, index_dir: Path, cwd: Path) -> list[str]:
    """`cited serve` through ui.cli when it knows the command, else ui.serve directly (same server)."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import ui.cli as c, sys; sys.exit(0 if 'serve' in c.build_parser().format_help() else 1)",
        ],
        cwd=cwd,
        capture_output=True,
        check=False,
    )
    module = "ui.cli" if probe.returncode == 0 else "ui.serve"
    argv = [sys.executable, "-m", module]
    if module == "ui.cli":
        argv.append("serve")
    return [*argv, "--port", str(port), "--index-dir", str(index_dir)]


@dataclass
class RssSampler:
    """Peak of (process + children) RSS, sampled in a thread."""

    pid: int
    interval: float = 0.05
    peak_bytes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def current(self) -> int:
        import psutil

        try:
            proc = psutil.Process(self.pid)
            procs = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for p in procs:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def hwm_bytes(self) -> int:
        """Sum of the kernel's peak RSS (VmHWM) of the process and its children (an upper bound of the joint
        peak, since they need not peak at once)."""
        import psutil

        try:
            proc = psutil.Process(self.pid)
            pids = [self.pid, *(c.pid for c in proc.children(recursive=True))]
        except psutil.Error:
            return 0
        total = 0
        for pid in pids:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) * 1024
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self.current())
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.peak_bytes = max(self.peak_bytes, self.current())


@contextlib.contextmanager
def running_server(
    index_dir: Path, cwd: Path, collection: str
) -> Iterator[tuple[str, subprocess.Popen[bytes], float, list[str]]]:
    """Start `cited serve` on a free loopback port; yields the base URL, the process, the seconds until
    /api/health answered 200, and the command."""
    port = free_port()
    argv = serve_argv(port, index_dir, cwd)
    env = {**os.environ, "CITED_COLLECTION": collection, "CITED_ANSWERER": "extractive"}
    env["CITED_HOST"] = "127.0.0.1"
    env.pop("CITED_AUTH", None)
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, proc, log, argv)
            yield url, proc, time.perf_counter() - t0, argv
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Any, argv: list[str]) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        exited = proc.poll() is not None
        if exited or time.monotonic() > deadline:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-3000:]
            state = f"exited with code {proc.returncode}" if exited else "did not answer"
            raise RuntimeError(f"`{' '.join(argv)}` {state} within {START_TIMEOUT_S:.0f} s:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        time.sleep(0.1)


def _ask(client: Any, url: str, question: str) -> tuple[float, bool]:
    t0 = time.perf_counter()
    try:
        response = client.post(f"{url}/api/ask", json={"question": question}, timeout=REQUEST_TIMEOUT_S)
        ok = response.status_code == 200 and "text" in response.json()
    except Exception:
        ok = False
    return (time.perf_counter() - t0) * 1000, ok


def sequential(url: str, questions: list[str], n: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    with httpx.Client() as client:
        for i in range(n):
            ms, ok = _ask(client, url, questions[i % len(questions)])
            latencies.append(ms)
            errors += not ok
    return {"questions": n, "errors": errors, **{f"latency_{k}": v for k, v in summarize(latencies).items()}}


def concurrent(url: str, questions: list[str], clients: int, per_client: int) -> dict[str, Any]:
    """`clients` threads, each with its own connection, each asking `per_client` questions back to back."""
    import httpx

    barrier = threading.Barrier(clients + 1)

    def worker(c: int) -> list[tuple[float, bool]]:
        out = []
        with httpx.Client() as client:
            barrier.wait()
            for j in range(per_client):
                out.append(_ask(client, url, questions[(c * per_client + j) % len(questions)]))
        return out

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(worker, c) for c in range(clients)]
        barrier.wait()
        t0 = time.perf_counter()
        results = [r for f in futures for r in f.result()]
        wall = time.perf_counter() - t0
    latencies = [ms for ms, _ in results]
    errors = sum(not ok for _, ok in results)
    s = summarize(latencies)
    return {
        "clients": clients,
        "per_client": per_client,
        "requests": len(results),
        "errors": errors,
        "wall_s": wall,
        "throughput_qps": len(results) / wall if wall else None,
        "p50_ms": s["p50"],
        "p95_ms": s["p95"],
        "max_ms": s["max"],
    }


def bench_server(
    index_dir: Path,
    collection: str,
    cwd: Path,
    questions: list[str],
    memory_questions: int = 100,
    clients: int = 8,
    per_client: int = 25,
) -> dict[str, Any]:
    with running_server(index_dir, cwd, collection) as (url, proc, ready_s, argv):
        sampler = RssSampler(proc.pid)
        sampler.start()
        seq = sequential(url, questions, memory_questions)
        after_seq = sampler.peak_bytes
        hwm_after_seq = sampler.hwm_bytes()
        load = concurrent(url, questions, clients, per_client)
        sampler.stop()
        hwm_after_load = sampler.hwm_bytes()
        memory = {
            "questions": memory_questions,
            # The kernel's high-water mark covers the whole life of the server up to the 100th answer; the
            # sampled figure only what the 50 ms sampler saw after start-up.
            "peak_rss_mb": max(hwm_after_seq, after_seq) / 2**20,
            "sampled_peak_rss_mb": after_seq / 2**20,
            "peak_rss_after_load_mb": max(sampler.peak_bytes, hwm_after_load) / 2**20,
            "sequential": seq,
        }
    return {
        "ready_s": ready_s,
        "command": " ".join(["python", *argv[1:]]),
        "memory": memory,
        "concurrency": load,
    }
