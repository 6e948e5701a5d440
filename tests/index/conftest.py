"""Helpers for the tests of index/: small hand-written corpora, direct reads of the live collection."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.chunking import chunk_paragraph
from index.settings import Settings
from index.store import ChromaStore

# Three small articles about unrelated things, so that a vector search can tell them apart.
ARTICLES: dict[str, tuple[str, str, list[str]]] = {
    "bridge": (
        "Old Stone Bridge Reopens",
        "Riverside- ",
        [
            "The old stone bridge over the river reopened on Monday after two years of repairs. "
            "Traffic was light in the morning.",
            "Engineers replaced the worn arches and strengthened the foundations against spring floods.",
            "The mayor said the work cost 4.2 million dollars, less than the council had planned.",
        ],
    ),
    "harvest": (
        "Harvest Festival Draws Record Crowds",
        "",
        [
            "More than twenty thousand visitors came to the harvest festival in the valley on Saturday.",
            "Farmers sold apples, pumpkins and fresh cider from stalls along the main street.",
        ],
    ),
    "library": (
        "City Library Extends Its Opening Hours",
        "Tabnak – ",
        [
            "The city library will stay open until ten in the evening from next month, the board announced.",
            "Students had asked for longer hours during the examination season.",
            "The extra hours are paid for by a grant from a local foundation.",
        ],
    ),
}


def article_text(title: str, prefix: str, paragraphs: list[str], *, blank_lines: bool = True) -> str:
    sep = "\n\n" if blank_lines else "\n"
    return sep.join([title, prefix + paragraphs[0], *paragraphs[1:]]) + "\n"


@pytest.fixture(autouse=True)
def _no_cited_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CITED_* variables of whoever runs the tests must not redirect them (e.g. to a Chroma server)."""
    for key in list(os.environ):
        if key.startswith("CITED_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def write_corpus() -> Callable[..., Path]:
    """`write_corpus(folder, names=("bridge", ...))` writes those ARTICLES as `{name}.txt` files."""

    def write(folder: Path, names: tuple[str, ...] = tuple(ARTICLES), *, blank_lines: bool = True) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            title, prefix, paragraphs = ARTICLES[name]
            text = article_text(title, prefix, paragraphs, blank_lines=blank_lines)
            (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        return folder

    return write


def live_records(settings: Settings) -> dict[str, Any]:
    """Everything in the live collection: {"ids": [...], "documents": [...], "metadatas": [...]}."""
    collection = ChromaStore(settings).current()
    assert collection is not None, f"no live collection in {settings.store_location}"
    return collection.get(include=["documents", "metadatas"])


@pytest.fixture(scope="session")
def chroma_records() -> Callable[[Settings], dict[str, Any]]:
    return live_records


def index_state(settings: Settings) -> tuple[str | None, int, list[str]]:
    """(live version, chunk count, sorted chunk ids): what a failed ingest must leave exactly as it was."""
    store = ChromaStore(settings)
    collection = store.current()
    if collection is None:
        return None, 0, []
    return store.current_name(), collection.count(), sorted(collection.get(include=[])["ids"])


@pytest.fixture(scope="session")
def state_of() -> Callable[[Settings], tuple[str | None, int, list[str]]]:
    return index_state


def sentence_vectors_one_by_one(snapshot: Any, embedder: Any, chunk_size: int) -> np.ndarray:
    """What every row of a snapshot's sentence table should hold, computed a chunk at a time, outside the ingest's
    batching: the sentence's tokens pooled from its own chunk's pass."""
    rows = []
    for paragraph in snapshot.paragraphs:
        for chunk in chunk_paragraph(paragraph, chunk_size):
            inside = [s for s in paragraph.sentences if chunk.start <= s.start and s.end <= chunk.end]
            spans = [(s.start - chunk.start, s.end - chunk.start) for s in inside]
            rows.extend(embedder.encode_with_spans([chunk.text], [spans])[1][0])
    return np.asarray(rows, dtype=np.float32).reshape(-1, embedder.dimension)


@pytest.fixture(scope="session")
def reference_sentence_vectors() -> Callable[[Any, Any, int], np.ndarray]:
    return sentence_vectors_one_by_one
