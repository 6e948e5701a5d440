"""Opening the live index version for reading: the Chroma collection plus its local snapshot.

This is the one place where `qa/` meets what `index/` wrote. When the snapshot is missing locally (a Chroma server
used from a new machine) or unreadable, it is rebuilt from the chunk metadata stored in Chroma.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.dates import day_iso
from index.limits import ENCODERS, Encoder
from index.models import Chunk, Paragraph
from index.pooling import encode_chunks
from index.settings import Settings
from index.snapshot import DocRecord, Snapshot, first_rows, sentence_starts
from index.store import ENCODER_KEY, PUBLISHED_DAY_KEY, ChromaStore, IndexUnavailableError, paragraph_from_metadata

log = logging.getLogger(__name__)

# Versions written before the encoder was recorded hold sentence-transformers' (torch) vectors, which the fp32
# ONNX export reproduces (cosine > 0.99999), so they are queried with it.
UNRECORDED_ENCODER: Encoder = "onnx"


class IndexEmptyError(IndexUnavailableError):
    pass


@dataclass
class OpenIndex:
    store: ChromaStore
    collection: Any
    snapshot: Snapshot

    @property
    def version(self) -> str:
        return self.snapshot.version

    @property
    def encoder(self) -> Encoder:
        return version_encoder(self.collection)


def version_encoder(collection: Any) -> Encoder:
    """The encoder a version's vectors were made with: queries and later ingests into it must use the same one,
    whatever CITED_ENCODER says now (that setting chooses the encoder of a new index)."""
    recorded = (getattr(collection, "metadata", None) or {}).get(ENCODER_KEY)
    return next((e for e in ENCODERS if e == recorded), UNRECORDED_ENCODER)


def load_snapshot(store: ChromaStore, settings: Settings, collection: Any) -> Snapshot:
    folder = settings.cache_dir / collection.name
    if (folder / "manifest.json").exists():
        try:
            return Snapshot.load(folder)
        except Exception as err:  # a damaged cache is rebuilt, not fatal: Chroma is the source of truth
            log.warning("local snapshot %s unreadable (%s); rebuilding it from Chroma", folder, err)
    snapshot = rebuild_snapshot(store, settings, collection)
    try:
        snapshot.save(folder)
    except OSError as err:
        log.warning("could not cache the rebuilt snapshot in %s (%s)", folder, err)
        return snapshot
    return Snapshot.load(folder)  # records and rows left on disk, as a server holds them, not the rebuild's objects


def rebuild_snapshot(store: ChromaStore, settings: Settings, collection: Any) -> Snapshot:
    """Paragraphs, manifest, keyword index and sentence vectors, from Chroma's records alone. The sentence vectors
    come from one encoder pass over each stored chunk, as at ingest (the chunk's own vector is already stored)."""
    paragraphs: dict[str, Paragraph] = {}
    chunks: list[tuple[Chunk, str]] = []
    manifest: dict[str, DocRecord] = {}
    for rec in store.iter_records(collection):
        meta = rec["metadata"]
        if meta["paragraph_id"] not in paragraphs:
            paragraphs[meta["paragraph_id"]] = paragraph_from_metadata(meta)
        chunks.append((_stored_chunk(rec), meta["paragraph_id"]))
        doc = manifest.setdefault(
            meta["doc_id"],
            DocRecord(
                doc_id=meta["doc_id"],
                path=meta["path"],
                content_hash=meta["content_hash"],
                title=meta.get("title", ""),
                source=meta.get("source", ""),
                published=day_iso(meta.get(PUBLISHED_DAY_KEY)),
            ),
        )
        doc.chunks += 1
    ordered = sorted(paragraphs.values(), key=lambda p: (p.doc_id, p.n))
    for p in ordered:
        manifest[p.doc_id].paragraphs += 1
    vectors = _sentence_table(settings, collection, ordered, [(c, paragraphs[pid]) for c, pid in chunks])
    return Snapshot(version=collection.name, paragraphs=ordered, sentence_vectors=vectors, manifest=manifest)


def _stored_chunk(record: dict[str, Any]) -> Chunk:
    meta = record["metadata"]
    return Chunk(
        id=record["id"],
        paragraph_id=meta["paragraph_id"],
        piece=int(meta.get("piece", 0)),
        text=record["document"],
        start=int(meta["start"]),
        end=int(meta["end"]),
    )


def _sentence_table(
    settings: Settings, collection: Any, ordered: list[Paragraph], pairs: list[tuple[Chunk, Paragraph]]
) -> np.ndarray:
    """The sentence vectors of `ordered` paragraphs, pooled from one pass over each of their chunks."""
    from index.embedder import bulk_embedder_for

    embedder = bulk_embedder_for(settings, version_encoder(collection), len(pairs))
    first_row = first_rows(ordered)
    table = np.zeros((int(sentence_starts(ordered)[-1]), embedder.dimension), dtype=np.float16)
    size = max(settings.embed_batch_size, 1)
    for i in range(0, len(pairs), size):
        encode_chunks(embedder, pairs[i : i + size], first_row, table, batch_size=size)
    return table


def open_index(settings: Settings, store: ChromaStore | None = None) -> OpenIndex:
    store = store or ChromaStore(settings)
    collection = store.current()
    if collection is None:
        where = settings.chroma_url or settings.index_dir
        raise IndexEmptyError(
            f"no index at {where} yet; run `cited ingest {settings.articles_dir}` (or `make run`) first."
        )
    return OpenIndex(store=store, collection=collection, snapshot=load_snapshot(store, settings, collection))
