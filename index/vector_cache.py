"""Vectors an ingest has computed but not yet published, kept on disk so that a killed run costs little.

A big archive takes many minutes to embed. Each embedded batch is committed here (SQLite, one row per text, keyed
by the model and the text's hash) before it goes on; a run that is killed or fails part-way leaves the file, and the
next run takes every vector it finds instead of computing it again. A run that publishes deletes the file: the
published version's vectors live in Chroma and are carried over from there, so nothing here outlives its use.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from index.embedder import EmbedderLike

SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
LOOKUP_BATCH = 500  # SQLite's limit on bound parameters is 999 in old builds


class ResumableEmbedder:
    """An embedder whose vectors are kept, by (model, text), in one index folder's file of unfinished vectors."""

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

    def _key(self, text: str) -> bytes:
        return hashlib.blake2b(f"{self.model}\0{text}".encode(), digest_size=16).digest()

    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        """The vectors of `texts`: those already in the file read back, the others computed and stored."""
        keys = [self._key(t) for t in texts]
        found = {key: (row, blob) for key, row, blob in self._lookup(keys)}
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        missing = []
        for i, key in enumerate(keys):
            if key in found:
                row, blob = found[key]
                vectors[i] = np.frombuffer(blob, dtype=np.float32)
                self.reused += row <= self._earlier_rows
            else:
                missing.append(i)
        if missing:
            vectors[missing] = self.embedder.encode([texts[i] for i in missing], batch_size=batch_size)
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(keys[i], vectors[i].tobytes()) for i in missing],
                )
        return vectors

    def _lookup(self, keys: list[bytes]) -> Iterator[tuple[bytes, int, bytes]]:
        for i in range(0, len(keys), LOOKUP_BATCH):
            part = keys[i : i + LOOKUP_BATCH]
            marks = ",".join("?" * len(part))
            query = f"SELECT key, rowid, vector FROM vectors WHERE key IN ({marks})"
            for key, row, blob in self._db.execute(query, part):
                if len(blob) == 4 * self.dimension:
                    yield key, row, blob

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
