"""Vectors an ingest has computed but not yet published, kept on disk so that a killed run costs little.

A big archive takes many minutes to embed. Each embedded batch is committed here (SQLite, one row per chunk: its
vector and its sentences', keyed by the model, the text and the sentence spans) before it goes on; a run that is
killed or fails part-way leaves the file, and the next run takes every vector it finds instead of computing it
again. A run that publishes deletes the file: the published version's vectors live in Chroma and its snapshot, so
nothing here outlives its use.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.pooling import Span

if TYPE_CHECKING:
    from index.embedder import EmbedderLike

SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
LOOKUP_BATCH = 500  # SQLite's limit on bound parameters is 999 in old builds


class ResumableEmbedder:
    """An embedder whose vectors are kept, by (model, text, spans), in one index folder's file of unfinished vectors."""

    def __init__(self, embedder: EmbedderLike, path: Path) -> None:
        self.embedder = embedder
        self.path = path
        self.model = f"{embedder.model_path}\0{embedder.vector_space}"
        self.dimension = embedder.dimension
        self.reused = 0  # vectors an earlier, unfinished run computed, taken from the file instead of computed
        self._db = self._open()
        # Rows up to this one are an earlier run's; later ones this run's (a text repeated in the archive).
        self._earlier_rows = int(self._db.execute("SELECT coalesce(max(rowid), 0) FROM vectors").fetchone()[0])

    def _open(self) -> sqlite3.Connection:
        try:
            return _connect(self.path)
        except sqlite3.DatabaseError:
            self.path.unlink(missing_ok=True)  # it only saves time, so a damaged file is dropped, not repaired
            return _connect(self.path)

    def _key(self, text: str, spans: list[Span]) -> bytes:
        marks = ",".join(f"{a}-{b}" for a, b in spans)
        return hashlib.blake2b(f"{self.model}\0{text}\0{marks}".encode(), digest_size=16).digest()

    def encode_with_spans(
        self, texts: list[str], spans: list[list[Span]], *, batch_size: int = 64
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The vectors of `texts` and of their spans (`EmbedderLike.encode_with_spans`): those already in the file
        read back, the others computed and stored, a text's vector and its spans' in one row."""
        keys = [self._key(t, s) for t, s in zip(texts, spans, strict=True)]
        found = {key: (row, blob) for key, row, blob in self._lookup(keys)}
        rows: list[np.ndarray] = [np.zeros(0)] * len(texts)
        missing = []
        for i, key in enumerate(keys):
            blob = found.get(key)
            if blob is not None and len(blob[1]) == 4 * self.dimension * (1 + len(spans[i])):
                rows[i] = np.frombuffer(blob[1], dtype=np.float32).reshape(-1, self.dimension)
                self.reused += blob[0] <= self._earlier_rows
            else:
                missing.append(i)
        if missing:
            vectors, pooled = self.embedder.encode_with_spans(
                [texts[i] for i in missing], [spans[i] for i in missing], batch_size=batch_size
            )
            for j, i in enumerate(missing):
                rows[i] = np.vstack([vectors[j : j + 1], pooled[j]]).astype(np.float32)
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)", [(keys[i], rows[i].tobytes()) for i in missing]
                )
        return np.stack([row[0] for row in rows]), [row[1:] for row in rows]

    def _lookup(self, keys: list[bytes]) -> Iterator[tuple[bytes, int, bytes]]:
        for i in range(0, len(keys), LOOKUP_BATCH):
            part = keys[i : i + LOOKUP_BATCH]
            marks = ",".join("?" * len(part))
            query = f"SELECT key, rowid, vector FROM vectors WHERE key IN ({marks})"
            yield from self._db.execute(query, part)

    def close(self) -> None:
        self._db.close()


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    try:
        db.execute(SCHEMA)
        db.execute("SELECT count(*) FROM vectors").fetchone()
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db
