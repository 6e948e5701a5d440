"""Helpers for tests that start real servers (Chroma, llama.cpp, cited itself): free ports, readiness, clean exit."""

from __future__ import annotations

import ast
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.settings import OFFLINE_ENV


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def server_death(proc: subprocess.Popen[bytes], log_path: Path) -> str | None:
    """Why a server is gone (exit code or signal, and its log's tail), or None while it runs."""
    code = proc.poll()
    if code is None:
        return None
    how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
    tail = log_path.read_text(errors="replace")[-3000:]
    return f"the server {how}. Its log ends:\n{tail}"


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


@contextlib.contextmanager
def running(
    cmd: list[str],
    log_path: Path,
    ready: Callable[[], bool],
    timeout: float,
    what: str,
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `cmd`, wait until `ready()`, and stop it afterwards; fail with the server's output if it never is.
    `env` adds to (or, with "" for CITED_AUTH, clears from) this process's environment."""
    env = {**os.environ, **OFFLINE_ENV, **(env or {})}
    if not env.get("CITED_AUTH"):
        env.pop("CITED_AUTH", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            exited = proc.poll() is not None
            if exited or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-4000:]
                state = f"exited with code {proc.returncode}" if exited else "did not answer"
                pytest.fail(f"{what} `{' '.join(cmd)}` {state} within {timeout:.0f} s. Its output:\n{output}")
            time.sleep(0.2)
        yield proc
    finally:
        stop(proc)


CHROMA_START_TIMEOUT_S = 60.0


def _chroma_executable() -> Path:
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        pytest.fail(f"no `chroma` command next to {sys.executable}; install chromadb in this environment")
    return exe


def _heartbeat(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def chroma_server_at(data_dir: Path) -> Iterator[str]:
    """A real `chroma run` server over `data_dir` on a free local port while the block runs; yields its URL."""
    log_path = data_dir.parent / f"{data_dir.name}.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [str(_chroma_executable()), "run", "--path", str(data_dir)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    with running(cmd, log_path, lambda: _heartbeat(url), CHROMA_START_TIMEOUT_S, "the Chroma server"):
        yield url


def _answers(url: str) -> bool:
    """Any HTTP answer at all (a 401 behind a login counts): the server is up."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


CITED_START_TIMEOUT_S = 180.0


@contextlib.contextmanager
def cited_serve_at(index_dir: Path, log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The real `cited serve` process over an existing embedded index, on a free local port; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "ui.serve", "--port", str(port), "--index-dir", str(index_dir)]
    extra = {"CITED_CHROMA_URL": "", "CITED_AUTH": "", **(env or {})}
    with running(cmd, log_path, lambda: _answers(f"{url}/api/health"), CITED_START_TIMEOUT_S, "cited serve", extra):
        yield url


HEAVY_MODULES = ("torch", "transformers", "sentence_transformers")


def heavy_imports_of(code: str, index_dir: Path, articles_dir: Path) -> list[str]:
    """Which of HEAVY_MODULES a fresh interpreter has imported after running `code` against this index."""
    script = f"import sys\n{code}\nprint(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    env = {**os.environ, "CITED_INDEX_DIR": str(index_dir), "CITED_ARTICLES_DIR": str(articles_dir)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return list(ast.literal_eval(done.stdout.strip().split("\n")[-1]))  # the printed list of names
