"""Fixtures shared by every test folder: the bundled articles, an index of them, empty indexes, Chroma.

- `articles_dir`       the bundled articles (data/articles), an absolute path.
- `articles_settings`  Settings of an embedded index of the bundled articles, built once per session.
                       READ ONLY: tests that change an index use `fresh_settings` instead.
- `fresh_settings`     Settings with an empty index folder under the test's tmp_path. It is also a
                       factory: `fresh_settings(collection="x", chunk_size=200)` returns new Settings with
                       another empty index folder and those overrides.
- `chroma_server`      the URL ("http://127.0.0.1:PORT") of a real `chroma run` server, started once per
                       session. It is shared: give each test its own collection (`unique_collection()`).
- `unique_collection`  a function returning a collection name no other test uses.

The Settings built here say `chroma_url=None` explicitly, so that a CITED_CHROMA_URL in the environment
does not send the embedded-store tests to a server.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from processes import chroma_server_at

from index.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTICLES_DIR = REPO_ROOT / "data" / "articles"


def _unique_collection(prefix: str = "t") -> str:
    """A Chroma collection name of its own (3-512 chars of [a-zA-Z0-9._-])."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def unique_collection() -> Callable[..., str]:
    return _unique_collection


@pytest.fixture(scope="session")
def articles_dir() -> Path:
    assert ARTICLES_DIR.is_dir(), f"the bundled articles are missing: {ARTICLES_DIR}"
    return ARTICLES_DIR


@pytest.fixture(scope="session")
def articles_settings(tmp_path_factory: pytest.TempPathFactory, articles_dir: Path) -> Settings:
    """An embedded index of the five bundled articles, ingested once per session. Only read it."""
    from index.ingest import ingest

    index_dir = tmp_path_factory.mktemp("articles-index") / "index"
    settings = Settings(index_dir=index_dir, articles_dir=articles_dir, chroma_url=None)
    report = ingest([articles_dir], settings, progress=False)
    assert report.documents == 5, report.summary()
    return settings


@pytest.fixture(scope="session")
def dated_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An embedded index of the dated corpus (`eval.dated_corpus`: each kind of event in two years, in HTML,
    Markdown, text and JSON Lines), ingested once per session. Only read it."""
    from eval.dated_corpus import write_corpus
    from index.ingest import ingest

    root = tmp_path_factory.mktemp("dated")
    write_corpus(root / "articles")
    settings = Settings(index_dir=root / "index", articles_dir=root / "articles", chroma_url=None)
    ingest([root / "articles"], settings, progress=False)
    return settings


_fresh_counter = itertools.count(1)


class FreshSettings(Settings):
    """Settings with an empty index folder; calling it gives new Settings with another empty folder."""

    def __call__(self, **overrides: Any) -> Settings:
        index_dir = self.index_dir.parent / f"index-{next(_fresh_counter)}"
        index_dir.mkdir(parents=True)
        values: dict[str, Any] = {"index_dir": index_dir, "articles_dir": self.articles_dir}
        values["chroma_url"] = None
        values.update(overrides)
        return Settings(**values)


@pytest.fixture
def fresh_settings(tmp_path: Path, articles_dir: Path) -> FreshSettings:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    return FreshSettings(index_dir=index_dir, articles_dir=articles_dir, chroma_url=None)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server on a free local port, for the whole session; yields its URL."""
    with chroma_server_at(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url
