"""Sentence vectors pooled from their chunk's forward pass (index/pooling.py)."""

from __future__ import annotations

import numpy as np
import pytest

from index.embedder import get_embedder
from index.pooling import pool_spans, pool_text

TEXT = "Iraqi forces retook eastern Mosul in January. The western half took months longer."
SPANS = [(0, 45), (46, len(TEXT))]


@pytest.mark.unit
def test_a_span_is_the_mean_of_the_tokens_inside_it_without_special_tokens() -> None:
    tokens = np.array([[9.0, 9.0], [1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [9.0, 9.0]], dtype=np.float32)
    offsets = np.array([[0, 0], [0, 4], [5, 9], [10, 14], [0, 0]])
    special = np.array([True, False, False, False, True])
    pooled = pool_spans(tokens, offsets, special, [(0, 9), (10, 14), (15, 20)])
    assert np.allclose(pooled[0], [1.0, 0.0]) and np.allclose(pooled[1], [0.0, 1.0])
    assert np.isnan(pooled[2]).all()  # no token inside: the caller embeds it alone


@pytest.mark.unit
def test_a_span_the_length_limit_cut_off_is_embedded_on_its_own() -> None:
    tokens = np.eye(3, dtype=np.float32)
    offsets = np.array([[0, 0], [0, 3], [0, 0]])
    asked: list[str] = []

    def embed(text: str) -> np.ndarray:
        asked.append(text)
        return np.array([0.0, 0.0, 1.0], dtype=np.float32)

    vector, pooled = pool_text("abc def", tokens, offsets, np.array([1, 0, 1]), [(0, 3), (4, 7)], embed)
    assert asked == ["def"] and np.allclose(pooled[1], [0, 0, 1]) and np.allclose(pooled[0], [0, 1, 0])
    assert np.isclose(np.linalg.norm(vector), 1.0)


@pytest.mark.integration
@pytest.mark.parametrize("encoder", ["onnx", "torch"])
def test_the_text_vector_is_the_encoders_own_and_each_span_is_nearest_its_own_sentence(encoder: str) -> None:
    embedder = get_embedder("", encoder)  # type: ignore[arg-type]
    vectors, pooled = embedder.encode_with_spans([TEXT], [SPANS])
    assert float(vectors[0] @ embedder.encode_one(TEXT)) > 0.9999
    alone = embedder.encode([TEXT[a:b] for a, b in SPANS])
    similarity = pooled[0] @ alone.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]


@pytest.mark.integration
def test_onnx_and_torch_pool_the_same_tokens() -> None:
    """Two tokenizer front ends (tokenizers' offsets, transformers' offset mapping) must mark the same tokens."""
    onnx = get_embedder("", "onnx").encode_with_spans([TEXT], [SPANS])[1][0]
    torch = get_embedder("", "torch").encode_with_spans([TEXT], [SPANS])[1][0]
    assert np.sum(onnx * torch, axis=1).min() > 0.9999


@pytest.mark.integration
def test_a_long_batch_on_parallel_sessions_gives_each_text_its_own_vectors() -> None:
    """An ingest's batch is dealt over one session per core; every text must still get its own vectors."""
    embedder = get_embedder("", "onnx")
    texts = [f"Report {i}: the council met on day {i}. It adjourned at {i} pm." for i in range(9)]
    spans = [[(0, t.index(".") + 1), (t.index(".") + 2, len(t))] for t in texts]
    vectors, pooled = embedder.encode_with_spans(texts, spans)
    for text, text_spans, vector, sentence_vectors in zip(texts, spans, vectors, pooled, strict=True):
        alone, alone_pooled = embedder.encode_with_spans([text], [text_spans])
        assert float(vector @ alone[0]) > 0.9999
        assert np.sum(sentence_vectors * alone_pooled[0], axis=1).min() > 0.9999
