"""Fixtures for the tests of ui/.

- `server`        a live server over the bundled articles (`articles_settings`); one per session.
- `dated_server`  a live server over the dated corpus (`dated_settings`); one per session.
- `xss_settings`  an index of an article full of HTML/JS payloads (plus one bundled article); per session.
- `chromium`      a headless /usr/bin/chromium (skipped only when it is missing and CI is not set).
- `artifacts_dir` test-artifacts/ at the repository root, for screenshots.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from uitest_helpers import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, XSS_ARTICLE, LiveServer, start_server

from index.settings import Settings


@pytest.fixture(scope="session")
def server(articles_settings: Settings) -> Iterator[LiveServer]:
    with start_server(articles_settings) as live:
        yield live


@pytest.fixture(scope="session")
def dated_server(dated_settings: Settings) -> Iterator[LiveServer]:
    """A live server over the dated corpus."""
    with start_server(dated_settings) as live:
        yield live


@pytest.fixture(scope="session")
def xss_settings(tmp_path_factory: pytest.TempPathFactory, articles_dir: Path) -> Settings:
    """An index whose article puts markup and script in its title and text; the UI must show it as text."""
    from index.ingest import ingest

    root = tmp_path_factory.mktemp("xss")
    folder = root / "articles"
    folder.mkdir()
    (folder / "900_xss_test.txt").write_text(XSS_ARTICLE, encoding="utf-8")
    shutil.copy(articles_dir / "001_6433af30963515e2.txt", folder)
    settings = Settings(index_dir=root / "index", articles_dir=folder, chroma_url=None)
    report = ingest([folder], settings, progress=False)
    assert report.documents == 2, report.summary()
    return settings


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless browser. Missing Chromium skips these tests on a workstation, and fails them under CI."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (install it: scripts/install-system-deps.sh)"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(reason + "; CI is set, so the browser tests must run")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    folder = REPO_ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
