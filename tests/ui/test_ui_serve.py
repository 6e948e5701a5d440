"""`cited serve` (auth rules, first-run ingest, the real process) and `cited retrieve`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from processes import stop
from uitest_helpers import REPO_ROOT, free_port

from index.settings import OFFLINE_ENV, Settings
from ui import serve
from ui.retrieve_cli import main as retrieve_main


@pytest.mark.unit
@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True), ("0.0.0.0", False),
     ("192.168.1.5", False), ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert serve.is_loopback(host) is loopback


@pytest.mark.unit
def test_beyond_loopback_needs_auth_or_no_auth(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve.check_auth(Settings(host="127.0.0.1", auth=None), no_auth=False) is None
    refusal = serve.check_auth(Settings(host="0.0.0.0", auth=None), no_auth=False)
    assert refusal and "CITED_AUTH" in refusal and "--no-auth" in refusal
    assert serve.check_auth(Settings(host="0.0.0.0", auth="u:p"), no_auth=False) is None
    assert serve.check_auth(Settings(host="0.0.0.0", auth="nocolon"), no_auth=False) is not None
    assert serve.check_auth(Settings(host="0.0.0.0", auth=None), no_auth=True) is None
    assert "WARNING" in capsys.readouterr().err


@pytest.mark.unit
def test_main_exits_2_without_auth_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CITED_AUTH", raising=False)
    assert serve.main(["--host", "0.0.0.0", "--port", str(free_port())]) == 2
    assert "refusing to serve on 0.0.0.0 without authentication" in capsys.readouterr().err


@pytest.mark.unit
def test_main_exits_2_when_the_port_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert serve.main(["--port", str(port)]) == 2
    assert "in use" in capsys.readouterr().err


@pytest.mark.integration
def test_serve_ingests_an_empty_index_then_serves(tmp_path: Path, articles_dir: Path) -> None:
    """The real command in its own process: first-run ingest, the "Running on" line, a working API."""
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(articles_dir / "001_6433af30963515e2.txt", articles)
    port = free_port()
    env = {**os.environ, **OFFLINE_ENV, "CITED_ARTICLES_DIR": str(articles), "CITED_CHROMA_URL": ""}
    env.pop("CITED_AUTH", None)
    log_path = tmp_path / "serve.log"
    cmd = [
        sys.executable,
        "-m",
        "ui.serve",
        "--port",
        str(port),
        "--index-dir",
        str(tmp_path / "index"),
        "--no-warm",
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`cited serve` did not come up:\n{log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        assert httpx.get(f"{url}/api/health", timeout=10).json()["documents"] == 1
        assert httpx.get(f"{url}/", timeout=10).status_code == 200  # the chat
        deadline = time.monotonic() + 10
        while f"Running on {url}" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        output = log_path.read_text(errors="replace")
        assert "1 added" in output  # the ingest summary
        assert f"Running on {url}" in output
    finally:
        stop(proc, timeout=20)


@pytest.mark.integration
def test_retrieve_command_text_and_json(articles_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    index = ["--index-dir", str(articles_settings.index_dir)]
    assert retrieve_main(["who retook eastern Mosul?", "--k", "3", *index]) == 0
    text = capsys.readouterr().out
    assert text.lstrip().startswith("1. ") and "fused" in text and "retook eastern Mosul" in text

    assert retrieve_main(["who retook eastern Mosul?", "--k", "2", "--json", *index]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["k"] == 2 and len(payload["passages"]) == 2
    assert payload["passages"][0]["paragraph"]["id"]

    assert retrieve_main(["   ", *index]) == 2
    assert "empty" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:  # argparse refuses the bound, with the usage line
        retrieve_main(["Mosul", "--k", "99", *index])
    assert refused.value.code == 2 and "between 1 and 50" in capsys.readouterr().err
