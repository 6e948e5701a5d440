"""The local, derived half of an index version: paragraphs, keyword index, sentence vectors, manifest.

Chroma holds the chunk vectors and, in each chunk's metadata, its whole paragraph; everything here can be rebuilt
from that (which is what happens in server mode on a machine that has never seen the index). It lives in
`{index_dir}/cache/{version}/`, written to a temporary folder and renamed into place, so a reader never sees half a
snapshot.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from index.disk_rows import RowFile
from index.models import Paragraph
from index.paragraph_table import ParagraphTable

# 4: sentence vectors pooled from their chunk's pass, float16; 5: paragraph columns beside the records
FORMAT_VERSION = 5
T = TypeVar("T")


def keyword_tokenize(texts: list[str], show_progress: bool = False) -> Any:
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=show_progress)


@dataclass
class DocRecord:
    """One ingested file, as the manifest remembers it."""

    doc_id: str
    path: str
    content_hash: str
    title: str = ""
    source: str = ""
    paragraphs: int = 0
    chunks: int = 0
    notes: list[str] = field(default_factory=list)
    published: str = ""  # the article's day (ISO), "" when unknown


@dataclass
class Snapshot:
    version: str
    paragraphs: Sequence[Paragraph]  # a ParagraphTable once constructed (`table`); a list may be given
    # (S, dim) float16, normalised, in paragraph order; once saved, rows read from disk when asked for (RowFile)
    sentence_vectors: np.ndarray | RowFile
    manifest: dict[str, DocRecord]
    bm25: Any = None
    by_id: dict[str, int] = field(default_factory=dict)
    _derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        given = self.paragraphs
        self.table = given if isinstance(given, ParagraphTable) else ParagraphTable.of(given)
        self.paragraphs = self.table
        self.by_id = {pid: i for i, pid in enumerate(self.table.ids)}
        self.sentence_start = sentence_starts(self.table)  # paragraph i: rows start[i]..start[i+1]
        if len(self.sentence_vectors) != self.sentence_start[-1]:
            raise ValueError(f"{len(self.sentence_vectors)} sentence vectors for {self.sentence_start[-1]} sentences")
        if self.bm25 is None and self.paragraphs:
            self.bm25 = build_bm25(self.paragraphs)

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        i = self.by_id.get(paragraph_id)
        return None if i is None else self.paragraphs[i]

    @property
    def newest_published(self) -> date | None:
        """The newest article date in this version: what "this week" means when a question gives no date."""
        days = [date.fromisoformat(r.published) for r in self.manifest.values() if r.published]
        return max(days, default=None)

    @property
    def sentence_owner(self) -> np.ndarray:
        """(paragraph index, sentence index) of every row of `sentence_vectors`."""
        return self.derived("sentence_owner", lambda snap: sentence_owner(snap.paragraphs))

    def sentence_rows(self, paragraph_index: int) -> range:
        return range(int(self.sentence_start[paragraph_index]), int(self.sentence_start[paragraph_index + 1]))

    def best_sentences(self, paragraph_indices: list[int], query: np.ndarray) -> np.ndarray:
        """Each paragraph's best sentence similarity to `query` (-2 for a paragraph without sentences). Only the
        given paragraphs' rows are read: a query never scans the whole table."""
        starts, ends = self.sentence_start[paragraph_indices], self.sentence_start[np.add(paragraph_indices, 1)]
        rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)] or [np.zeros(0, int)])
        sims = np.asarray(self.sentence_vectors[rows], dtype=np.float32) @ query
        best = np.full(len(paragraph_indices), -2.0, dtype=np.float32)
        np.maximum.at(best, np.repeat(np.arange(len(paragraph_indices)), ends - starts), sims)
        return best

    def derived(self, name: str, build: Callable[[Snapshot], T]) -> T:
        """A table computed once from this version (IDF, vocabulary…): it lives and dies with the
        snapshot, so a newer ingest never meets a stale one and nothing grows across versions."""
        if name not in self._derived:
            self._derived[name] = build(self)
        return self._derived[name]  # type: ignore[no-any-return]

    # --- persistence -------------------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.table.save(tmp)
        np.save(tmp / "sentence_vectors.npy", np.asarray(self.sentence_vectors, dtype=np.float16))
        manifest = {
            "format": FORMAT_VERSION,
            "version": self.version,
            "docs": {k: vars(v) for k, v in self.manifest.items()},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        if self.bm25 is not None:
            self.bm25.save(str(tmp / "bm25"))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def load(cls, folder: Path) -> Snapshot:
        import bm25s

        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT_VERSION:
            raise ValueError(f"snapshot format {manifest.get('format')} is not {FORMAT_VERSION}")
        paragraphs = ParagraphTable.load(folder)  # records stay on disk until asked for
        bm25 = bm25s.BM25.load(str(folder / "bm25")) if (folder / "bm25").exists() else None
        return cls(
            version=manifest["version"],
            paragraphs=paragraphs,
            # Not read: opening is instant, and a server holds only the rows its queries ask for.
            sentence_vectors=RowFile(folder / "sentence_vectors.npy"),
            manifest={k: DocRecord(**v) for k, v in manifest["docs"].items()},
            bm25=bm25,
        )


def build_bm25(paragraphs: Sequence[Paragraph]) -> Any:
    import bm25s

    retriever = bm25s.BM25()
    # The title goes with every paragraph: "Popular Mobilization Forces" in a headline belongs to all its paragraphs.
    retriever.index(keyword_tokenize([f"{p.title}\n{p.text}" for p in paragraphs]), show_progress=False)
    return retriever


def sentence_starts(paragraphs: Sequence[Paragraph]) -> np.ndarray:
    """Where each paragraph's rows begin in the sentence table, plus the table's length at the end: paragraph i
    owns rows starts[i]..starts[i+1]. The one place the table's layout is written."""
    if isinstance(paragraphs, ParagraphTable):
        counts = paragraphs.sentence_counts
    else:
        counts = np.fromiter((len(p.sentences) for p in paragraphs), dtype=np.int64, count=len(paragraphs))
    return np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(counts)])


def first_rows(paragraphs: Sequence[Paragraph]) -> dict[str, int]:
    """Each paragraph's first row in the sentence table of `paragraphs`, by paragraph id."""
    ids = paragraphs.ids if isinstance(paragraphs, ParagraphTable) else [p.id for p in paragraphs]
    return dict(zip(ids, sentence_starts(paragraphs)[:-1].tolist(), strict=True))


def sentence_owner(paragraphs: Sequence[Paragraph]) -> np.ndarray:
    """The (paragraph index, sentence index) of every sentence, in the order of the sentence vector table; without
    the texts, which a big ingest makes a batch at a time instead of all at once."""
    offsets = sentence_starts(paragraphs)
    counts = np.diff(offsets)
    paragraph_index = np.repeat(np.arange(len(paragraphs), dtype=np.int32), counts)
    starts = np.repeat(offsets[:-1], counts)
    sentence_index = (np.arange(len(paragraph_index)) - starts).astype(np.int32)
    return np.stack([paragraph_index, sentence_index], axis=1).reshape(-1, 2)
