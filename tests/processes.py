"""Helpers for tests that start real servers (Chroma, llama.cpp, cited itself): free ports, readiness, clean exit."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
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
    cmd: list[str], log_path: Path, ready: Callable[[], bool], timeout: float, what: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `cmd`, wait until `ready()`, and stop it afterwards; fail with the server's output if it never is."""
    env = {**os.environ, **OFFLINE_ENV}
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
