"""Sentence vectors from the pass that embeds their chunk: the mean of each sentence's token vectors.

Embedding every sentence on its own as well as every chunk ran the encoder over each token twice (SQuAD dev ingest
at 3.18× the cost of embedding its paragraphs once). A chunk's forward pass already has a vector for each of its
tokens, and the tokenizer knows which characters each token came from, so a sentence's vector is the normalised
mean of the tokens inside its character span, at no extra encoder cost. The README's retrieval table compares this
with separately embedded sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from index.models import Chunk, Paragraph

Span = tuple[int, int]  # character offsets into the embedded text
Embed = Callable[[str], np.ndarray]


class SpanEncoder(Protocol):
    def encode_with_spans(
        self, texts: list[str], spans: list[list[Span]], *, batch_size: int = ...
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows (or vector), so that a dot product is the cosine similarity."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def pool_spans(tokens: np.ndarray, offsets: np.ndarray, special: np.ndarray, spans: list[Span]) -> np.ndarray:
    """One vector per span: the normalised mean of the (non-special) tokens whose characters lie inside it.

    A span with no such token (cut off by the encoder's length limit) gets a row of NaN, for the caller to embed
    on its own."""
    pooled = np.full((len(spans), tokens.shape[1]), np.nan, dtype=np.float32)
    real = ~special & (offsets[:, 1] > offsets[:, 0])
    for row, (start, end) in enumerate(spans):
        inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
        if inside.any():
            pooled[row] = normalised(tokens[inside].mean(axis=0))
    return pooled


def pool_text(
    text: str, tokens: np.ndarray, offsets: np.ndarray, special: np.ndarray, spans: list[Span], embed: Embed
) -> tuple[np.ndarray, np.ndarray]:
    """A text's vector (the mean of all its tokens, as sentence-transformers pools this model) and its spans'
    vectors; `embed` embeds on its own a span the encoder's length limit cut off (rare: 3 of 10,227 SQuAD dev
    sentences)."""
    pooled = pool_spans(tokens, offsets.reshape(-1, 2), special.astype(bool), spans)
    for row in np.flatnonzero(np.isnan(pooled[:, 0])) if len(pooled) else []:
        start, end = spans[int(row)]
        pooled[row] = embed(text[start:end])
    return normalised(tokens.mean(axis=0)), pooled


def chunk_spans(chunk: Chunk, paragraph: Paragraph) -> tuple[list[int], list[Span]]:
    """The paragraph's sentences inside `chunk` (chunks are cut between sentences, so each sentence is in exactly
    one): their indices in the paragraph, and their offsets in the chunk's text."""
    inside = [(i, s) for i, s in enumerate(paragraph.sentences) if chunk.start <= s.start and s.end <= chunk.end]
    return [i for i, _ in inside], [(s.start - chunk.start, s.end - chunk.start) for _, s in inside]


def encode_chunks(
    embedder: SpanEncoder,
    pairs: list[tuple[Chunk, Paragraph]],
    first_row: dict[str, int],
    table: np.ndarray,
    batch_size: int = 64,
) -> tuple[np.ndarray, int]:
    """The vectors of the chunks in `pairs`, one encoder pass each, writing their sentences' vectors into `table`
    at `first_row[paragraph id] + sentence index`. Returns the chunk vectors and how many sentence rows were
    written (the caller checks every row got one)."""
    located = [chunk_spans(chunk, paragraph) for chunk, paragraph in pairs]
    texts, spans = [c.text for c, _ in pairs], [spans for _, spans in located]
    vectors, pooled = embedder.encode_with_spans(texts, spans, batch_size=batch_size)
    written = 0
    for (_, paragraph), (indices, _), sentence_vectors in zip(pairs, located, pooled, strict=True):
        base = first_row[paragraph.id]
        for index, vector in zip(indices, sentence_vectors, strict=True):
            table[base + index] = vector
        written += len(indices)
    return vectors, written
