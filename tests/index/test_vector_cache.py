"""An ingest that does not finish keeps the vectors it computed; the next run reads them back instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from index.embedder import EmbedderLike, embedder_for, get_embedder
from index.ingest import ingest
from index.opening import open_index
from index.settings import Settings
from index.snapshot import Snapshot
from index.vector_cache import ResumableEmbedder


class CountingEmbedder:
    """The real model, counting what it is asked to compute."""

    def __init__(self, embedder: EmbedderLike) -> None:
        self.inner = embedder
        self.model_path = embedder.model_path
        self.dimension = embedder.dimension
        self.name = embedder.name
        self.vector_space = embedder.vector_space
        self.computed = 0

    def encode_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]], *, batch_size: int = 64
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.computed += len(texts)
        return self.inner.encode_with_spans(texts, spans, batch_size=batch_size)


TEXTS = ["The bridge reopened on Monday. Traffic was light.", "Farmers sold apples.", "The library stays open."]
SPANS = [[(0, 30), (31, 49)], [(0, 20)], []]


def test_vectors_are_read_back_not_computed_again(tmp_path: Path) -> None:
    counting = CountingEmbedder(get_embedder("", "onnx-int8"))
    path = tmp_path / "unfinished.sqlite"
    first, first_spans = ResumableEmbedder(counting, path).encode_with_spans(TEXTS, SPANS)  # type: ignore[arg-type]
    again = ResumableEmbedder(counting, path)  # type: ignore[arg-type]
    second, second_spans = again.encode_with_spans([*TEXTS, "A new text."], [*SPANS, [(0, 5)]])
    assert counting.computed == 4 and again.reused == 3
    assert np.allclose(second[:3], first) and all(map(np.allclose, second_spans[:3], first_spans))
    fresh, fresh_spans = counting.inner.encode_with_spans(["A new text."], [[(0, 5)]])
    assert np.allclose(second[3], fresh[0]) and np.allclose(second_spans[3], fresh_spans[0])
    assert [len(s) for s in second_spans] == [2, 1, 0, 1]


def test_the_same_text_with_other_sentence_spans_is_computed_again(tmp_path: Path) -> None:
    """A chunk's row holds its sentences' vectors too, so a text split into sentences differently is another row."""
    counting = CountingEmbedder(get_embedder("", "onnx-int8"))
    cache = ResumableEmbedder(counting, tmp_path / "unfinished.sqlite")  # type: ignore[arg-type]
    cache.encode_with_spans(TEXTS[:1], SPANS[:1])
    _, spans = cache.encode_with_spans(TEXTS[:1], [[(0, 49)]])
    assert counting.computed == 2 and len(spans[0]) == 1


def test_a_text_repeated_within_one_run_is_computed_once_and_not_called_resumed(tmp_path: Path) -> None:
    counting = CountingEmbedder(get_embedder("", "onnx-int8"))
    cache = ResumableEmbedder(counting, tmp_path / "unfinished.sqlite")  # type: ignore[arg-type]
    cache.encode_with_spans(TEXTS, SPANS)
    cache.encode_with_spans(TEXTS[:1], SPANS[:1])
    assert counting.computed == 3 and cache.reused == 0


def test_a_damaged_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "unfinished.sqlite"
    path.write_bytes(b"not a database, e.g. a disk that filled up" * 100)
    cache = ResumableEmbedder(get_embedder("", "onnx-int8"), path)
    assert cache.encode_with_spans(TEXTS, SPANS)[0].shape == (3, cache.dimension) and cache.reused == 0
    vectors, _ = ResumableEmbedder(get_embedder("", "onnx-int8"), path).encode_with_spans(TEXTS, SPANS)
    assert vectors.shape == (3, cache.dimension)


def test_a_run_that_fails_before_publishing_leaves_its_vectors_for_the_next(
    articles_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reference_sentence_vectors: Callable[..., np.ndarray],
) -> None:
    settings = Settings(index_dir=tmp_path / "index")

    def disk_full(self: Snapshot, folder: Path) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(Snapshot, "save", disk_full)
        with pytest.raises(OSError, match="No space"):
            ingest([articles_dir], settings, progress=False)
    assert settings.resume_vectors_path.exists()

    report = ingest([articles_dir], settings, progress=False)
    snapshot = open_index(settings).snapshot
    assert report.vectors_reused == report.chunks  # each chunk's row holds its sentences' vectors too
    assert "vectors reused from an unfinished run" in report.summary()
    assert not settings.resume_vectors_path.exists()  # published: the vectors live in Chroma now
    expected = reference_sentence_vectors(snapshot, embedder_for(settings), settings.chunk_size)
    assert np.sum(expected * snapshot.sentence_vectors, axis=1).min() > 0.999
