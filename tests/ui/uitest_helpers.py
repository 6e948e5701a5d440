"""Helpers for the tests of ui/ (a module of its own, so test files can import them: conftest modules can't be
imported by name when several test folders have one).

`start_server(settings, **build_kwargs)` runs the real combined app (API + Gradio, `ui.server.build_server`)
with uvicorn in a background thread on a free loopback port. In-process rather than a subprocess: startup is
faster, and a failing request's server-side traceback lands in the test's captured log.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from processes import free_port

from index.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = 90.0

XSS_ARTICLE = (
    'Mosul dam engineers report <img src=x onerror="window.__xss=1"> progress\n'
    "\n"
    "Baghdad-\n"
    "\n"
    "The Mosul dam repair crew finished grouting the foundation in March [1], engineers said **on time** "
    "<script>window.__xss=2</script> on Tuesday.\n"
    "\n"
    "The grouting work on the Mosul dam keeps the structure safe, according to the ministry "
    '<img src=x onerror="window.__xss=1">.\n'
)
XSS_QUESTION = "When did the Mosul dam repair crew finish grouting the foundation?"
ARTICLE_MARKUP = "March [1], engineers said **on time**"  # an article's own [1] and **: text, not markup


@dataclass
class LiveServer:
    url: str
    app: Any
    settings: Settings


@contextlib.contextmanager
def start_server(settings: Settings, warm: bool = True, **build_kwargs: Any) -> Iterator[LiveServer]:
    """`ui.server.build_server(settings)` served by uvicorn in a background thread until the block ends."""
    import uvicorn

    from ui.api import service_of
    from ui.server import build_server

    app = build_server(settings, **build_kwargs)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail(f"the test server on {url} did not start within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.05)
        auth = tuple(settings.auth.split(":", 1)) if settings.auth and build_kwargs.get("use_auth", True) else None
        response = httpx.get(f"{url}/api/health", auth=auth, timeout=30)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        if warm:
            service_of(app).warm()  # load the model now, so no single test pays for it
        yield LiveServer(url=url, app=app, settings=settings)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
