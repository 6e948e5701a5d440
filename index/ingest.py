"""Ingestion: files → cleaned paragraphs → chunks → vectors → a new index version, published atomically.

The order matters for safety: every file is read and checked before anything is written, new vectors go into a new
collection, the local snapshot is written beside it, and only then does the pointer move. Unchanged files cost a
hash, changed files are re-embedded, and files gone from an ingested folder are dropped.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.chunking import chunk_paragraph
from index.cleaning import to_paragraphs
from index.models import Chunk, Paragraph
from index.opening import load_snapshot
from index.readers import InputError, RawDocument, discover, read_document
from index.settings import Settings
from index.snapshot import DocRecord, Snapshot, sentence_table
from index.store import ChromaStore, IndexUnavailableError, chunk_metadata


@dataclass
class IngestReport:
    files: int = 0
    documents: int = 0
    paragraphs: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks_added: int = 0
    chunks_updated: int = 0
    chunks_removed: int = 0
    chunks_unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    version: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (
            f"{self.files} files: {len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged · index: {self.documents} documents, {self.paragraphs} paragraphs, "
            f"{self.chunks} chunks (chunks {self.chunks_added} added, {self.chunks_updated} updated, "
            f"{self.chunks_removed} removed, {self.chunks_unchanged} unchanged) · {self.seconds:.2f} s"
        )


@dataclass
class _Parsed:
    raw: RawDocument
    paragraphs: list[Paragraph]
    chunks: list[Chunk]
    record: DocRecord


def _parse(path: Path, settings: Settings) -> _Parsed:
    raw = read_document(path, max_bytes=int(settings.max_file_mb * 1e6))
    title, source, paragraphs = to_paragraphs(
        raw.text,
        doc_id=raw.doc_id,
        path=str(path),
        content_hash=raw.content_hash,
        fallback_title=raw.html_title,
        fallback_source=raw.html_source,
    )
    if not paragraphs:
        raise InputError(f"{path}: nothing left after removing page furniture; is it an article?")
    chunks = [c for p in paragraphs for c in chunk_paragraph(p, settings.chunk_size)]
    record = DocRecord(
        doc_id=raw.doc_id,
        path=str(path),
        content_hash=raw.content_hash,
        title=title,
        source=source,
        paragraphs=len(paragraphs),
        chunks=len(chunks),
        notes=raw.notes,
    )
    return _Parsed(raw, paragraphs, chunks, record)


@contextlib.contextmanager
def _writer_lock(settings: Settings) -> Iterator[None]:
    """One ingest at a time per index folder; a second one fails fast instead of interleaving."""
    try:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.index_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as err:
        raise IndexUnavailableError(
            f"the index folder {settings.index_dir} is not writable ({err.strerror}); fix its permissions or "
            "choose another with CITED_INDEX_DIR."
        ) from err
    with open(settings.index_dir / ".ingest.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise IndexUnavailableError(
                f"another ingest is writing {settings.index_dir}; wait for it to finish."
            ) from err
        yield


def _under(path: str, roots: list[Path]) -> bool:
    p = Path(path)
    return any(p == r or r in p.parents for r in roots)


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    *,
    progress: bool = True,
    skip_bad: bool = False,
) -> IngestReport:
    """Bring the index in line with the files under `paths`; see the module docstring for the guarantees."""
    t0 = time.perf_counter()
    report = IngestReport()
    files = discover(paths)
    report.files = len(files)
    roots = [p.resolve() for p in paths if p.is_dir()]

    parsed: dict[str, _Parsed] = {}
    errors: list[str] = []
    failed_ids: set[str] = set()
    for path in tqdm(files, desc="reading", unit="file", disable=not progress or len(files) < 20, leave=False):
        try:
            doc = _parse(path, settings)
        except InputError as err:
            errors.append(str(err))
            failed_ids.add(path.stem)
            continue
        if doc.raw.doc_id in parsed:
            other = parsed[doc.raw.doc_id].raw.path
            errors.append(f"{path}: same file name (doc id {doc.raw.doc_id!r}) as {other}; rename one of them.")
            continue
        parsed[doc.raw.doc_id] = doc
        report.notes.extend(doc.raw.notes)
    if errors and not skip_bad:
        hint = "" if len(errors) == len(files) else " (or pass --skip-bad to ingest the other files)"
        raise InputError("\n".join(errors) + f"\nNothing was changed in the index{hint}.")
    report.skipped = errors

    with _writer_lock(settings):
        store = ChromaStore(settings)
        current = store.current()
        old = load_snapshot(store, settings, current) if current is not None else None
        manifest = old.manifest if old else {}
        _refuse_name_clashes(parsed, manifest, report, skip_bad)

        for doc_id, doc in parsed.items():
            known = manifest.get(doc_id)
            if known is None:
                report.added.append(doc_id)
            elif known.content_hash != doc.record.content_hash or known.path != doc.record.path:
                report.updated.append(doc_id)
            else:
                report.unchanged.append(doc_id)
        # A file that is present but unreadable this time keeps its previous paragraphs (with --skip-bad).
        report.removed = sorted(
            d for d, rec in manifest.items() if d not in parsed and d not in failed_ids and _under(rec.path, roots)
        )
        kept = [d for d in manifest if d not in parsed and d not in report.removed]

        report.chunks_unchanged = sum(manifest[d].chunks for d in report.unchanged)
        report.chunks_removed = sum(manifest[d].chunks for d in report.removed)
        report.chunks_updated = sum(parsed[d].record.chunks for d in report.updated)
        report.chunks_added = sum(parsed[d].record.chunks for d in report.added)

        if not report.changed:
            report.version = store.current_name()
            # A no-op run still drops what a failed or killed run left behind (an unpublished collection and its
            # cache folder), as store.py promises ("the orphan is dropped by the next ingest").
            store.drop_stale()
            _drop_stale_caches(settings, keep=report.version or "")
            _fill_totals(report, manifest)
            report.seconds = time.perf_counter() - t0
            return report

        new_docs = [parsed[d] for d in report.added + report.updated]
        new_manifest = {d: manifest[d] for d in kept + report.unchanged}
        new_manifest.update({doc.record.doc_id: doc.record for doc in new_docs})
        snapshot = _write_version(
            store, settings, current, old, kept + report.unchanged, new_docs, new_manifest, report, progress
        )
        report.version = snapshot.version
        _fill_totals(report, new_manifest)
        _drop_stale_caches(settings, keep=snapshot.version)
        report.seconds = time.perf_counter() - t0
        return report


def _refuse_name_clashes(
    parsed: dict[str, _Parsed], manifest: dict[str, DocRecord], report: IngestReport, skip_bad: bool
) -> None:
    """A file whose name an indexed file from another folder already has would silently replace that article (a
    document is known by its file name): refuse it, unless the indexed file is gone (then it moved)."""
    clashes = []
    for doc_id, doc in list(parsed.items()):
        known = manifest.get(doc_id)
        if known is None or not known.path or known.path == doc.record.path or not Path(known.path).exists():
            continue
        clashes.append(
            f"{doc.raw.path}: same file name (doc id {doc_id!r}) as {known.path}, which is already in the index; "
            "rename one of them."
        )
        del parsed[doc_id]
    if clashes and not skip_bad:
        raise InputError("\n".join(clashes) + "\nNothing was changed in the index (or pass --skip-bad).")
    report.skipped.extend(clashes)


def _fill_totals(report: IngestReport, manifest: dict[str, DocRecord]) -> None:
    report.documents = len(manifest)
    report.paragraphs = sum(r.paragraphs for r in manifest.values())
    report.chunks = sum(r.chunks for r in manifest.values())


def _write_version(
    store: ChromaStore,
    settings: Settings,
    current: object | None,
    old: Snapshot | None,
    carried_docs: list[str],
    new_docs: list[_Parsed],
    manifest: dict[str, DocRecord],
    report: IngestReport,
    progress: bool,
) -> Snapshot:
    from index.embedder import get_embedder

    embedder = get_embedder(settings.embed_model)
    collection = store.create_version()

    # 1. Carry the vectors of unchanged documents over; no re-embedding.
    carried_paragraphs: list[Paragraph] = []
    if current is not None and old is not None and carried_docs:
        carried = set(carried_docs)
        ids, vecs, docs, metas = [], [], [], []
        for rec in store.iter_records(current):
            if rec["metadata"]["doc_id"] in carried:
                ids.append(rec["id"])
                vecs.append(rec["embedding"])
                docs.append(rec["document"])
                metas.append(rec["metadata"])
        if ids:
            store.add(collection, ids, np.asarray(vecs, dtype=np.float32), docs, metas)
        carried_paragraphs = [p for p in old.paragraphs if p.doc_id in carried]

    # 2. Embed and add what is new or changed.
    t_embed = time.perf_counter()
    new_chunks = [(c, p) for doc in new_docs for p in doc.paragraphs for c in doc.chunks if c.paragraph_id == p.id]
    new_paragraphs = [p for doc in new_docs for p in doc.paragraphs]
    sent_texts, _ = sentence_table(new_paragraphs)
    step = max(settings.embed_batch_size, 1) * 4
    chunk_vecs: list[np.ndarray] = []
    sent_vecs: list[np.ndarray] = []
    total = len(new_chunks) + len(sent_texts)
    with tqdm(total=total, desc="embedding", unit="text", disable=not progress) as bar:
        for i in range(0, len(new_chunks), step):
            batch = [c.text for c, _ in new_chunks[i : i + step]]
            chunk_vecs.append(embedder.encode(batch, batch_size=settings.embed_batch_size))
            bar.update(len(batch))
        for i in range(0, len(sent_texts), step):
            batch = sent_texts[i : i + step]
            sent_vecs.append(embedder.encode(batch, batch_size=settings.embed_batch_size))
            bar.update(len(batch))
    report.embed_seconds = time.perf_counter() - t_embed
    if new_chunks:
        store.add(
            collection,
            [c.id for c, _ in new_chunks],
            np.concatenate(chunk_vecs),
            [c.text for c, _ in new_chunks],
            [chunk_metadata(c, p) for c, p in new_chunks],
        )

    # 3. The local snapshot: carried sentence vectors reused, new ones appended.
    paragraphs = carried_paragraphs + new_paragraphs
    _, owner = sentence_table(paragraphs)
    dim = embedder.dimension
    vectors = np.zeros((len(owner), dim), dtype=np.float32)
    n_carried = int((owner[:, 0] < len(carried_paragraphs)).sum()) if len(owner) else 0
    if n_carried and old is not None:
        old_rows = {(old.paragraphs[pi].id, si): row for row, (pi, si) in enumerate(old.sentence_owner.tolist())}
        for row in range(n_carried):
            pi, si = owner[row]
            old_row = old_rows[(paragraphs[pi].id, int(si))]
            vectors[row] = old.sentence_vectors[old_row]
    if sent_vecs:
        vectors[n_carried:] = np.concatenate(sent_vecs)
    snapshot = Snapshot(
        version=collection.name,
        paragraphs=paragraphs,
        sentence_vectors=vectors,
        sentence_owner=owner,
        manifest=manifest,
    )
    snapshot.save(settings.cache_dir / collection.name)

    # 4. Publish, then tidy.
    store.publish(
        collection.name, {"documents": len(manifest), "paragraphs": len(paragraphs), "embed_model": embedder.name}
    )
    store.drop_stale(keep=collection.name)
    return snapshot


def _drop_stale_caches(settings: Settings, keep: str) -> None:
    if not settings.cache_dir.exists():
        return
    for folder in settings.cache_dir.iterdir():
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)
