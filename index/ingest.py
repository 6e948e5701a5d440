"""Ingestion: files → cleaned paragraphs → chunks → vectors → a new index version, published atomically.

The order matters for safety: every file is read and checked before anything is written, new vectors go into a new
collection, the local snapshot is written beside it, and only then does the pointer move. Unchanged files cost a
hash, changed files are re-embedded, and files gone from an ingested folder are dropped.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from index.chunking import chunk_paragraph
from index.cleaning import ArticleMeta, to_paragraphs
from index.memory import release_freed_memory
from index.models import Paragraph
from index.opening import load_snapshot, version_encoder
from index.pooling import encode_chunks
from index.readers import InputError, RawDocument, discover, read_document
from index.records import RECORD_SUFFIXES, RecordProblem, field_names, iter_records
from index.settings import Settings
from index.snapshot import DocRecord, Snapshot, first_rows, sentence_starts
from index.store import ChromaStore, IndexUnavailableError, chunk_metadata
from index.vector_cache import ResumableEmbedder

MAX_ERRORS_SHOWN = 20  # a broken archive of thousands of lines names its first bad lines, then counts the rest


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
    vectors_reused: int = 0  # taken from what an unfinished earlier run had computed
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
            + (f" · {self.vectors_reused} vectors reused from an unfinished run" if self.vectors_reused else "")
        )


@dataclass
class _Parsed:
    raw: RawDocument
    paragraphs: list[Paragraph]
    record: DocRecord  # its chunk count; the chunks themselves are made again at embedding, not held meanwhile


def _parse(raw: RawDocument, settings: Settings, known: ArticleMeta | None = None) -> _Parsed:
    """One article's paragraphs and chunks. `known`: what its container says for sure (a record's fields); an HTML
    page's title and site name are only fallbacks for what the text itself shows."""
    html = raw.meta if known is None else ArticleMeta()
    title, source, paragraphs = to_paragraphs(
        raw.text,
        doc_id=raw.doc_id,
        path=str(raw.path),
        content_hash=raw.content_hash,
        fallback_title=html.title,
        fallback_source=html.source,
        known=known or ArticleMeta(published=html.published, published_from=html.published_from, url=html.url),
    )
    if not paragraphs:
        raise InputError(f"{raw.path}: nothing left after removing page furniture; is it an article?")
    chunks = sum(len(chunk_paragraph(p, settings.chunk_size)) for p in paragraphs)
    record = DocRecord(
        doc_id=raw.doc_id,
        path=str(raw.path),
        content_hash=raw.content_hash,
        title=title,
        source=source,
        paragraphs=len(paragraphs),
        chunks=chunks,
        notes=raw.notes,
        published=paragraphs[0].published.isoformat() if paragraphs[0].published else "",
    )
    raw.text = ""  # the paragraphs hold what is needed; a big archive must not be held twice
    return _Parsed(raw, paragraphs, record)


def _parse_file(path: Path, settings: Settings, bar: Any) -> Iterator[_Parsed | InputError | str]:
    """The articles of one file: one for an article file, one per record of a JSON archive (each bad record an
    InputError that names its line; a record without text only a note)."""
    if path.suffix.lower() not in RECORD_SUFFIXES:
        try:
            yield _parse(read_document(path, max_bytes=int(settings.max_file_mb * 1e6)), settings)
        except InputError as err:
            yield err
        return
    fields = field_names(settings.record_fields)
    for item in iter_records(path, fields, max_chars=int(settings.max_file_mb * 1e6)):
        bar.update(1)
        if isinstance(item, RecordProblem):
            yield (
                InputError(f"{path}:{item.line}: {item.message}")
                if item.fatal
                else f"{path}:{item.line}: {item.message}"
            )
            continue
        raw = RawDocument(path=path, text=item.text, content_hash=item.content_hash, doc_id=item.doc_id)
        try:
            yield _parse(raw, settings, known=item.meta)
        except InputError as err:
            yield InputError(f"{path}:{item.line}: {err}".replace(f"{path}: ", "", 1))


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


@dataclass
class _IngestRun:
    """What the steps of one ingest run share: where it writes, the published version it starts from (`current`,
    with `old` its snapshot; both None on a first ingest), the report it fills in and whether bars are shown."""

    store: ChromaStore
    settings: Settings
    current: object | None
    old: Snapshot | None
    report: IngestReport
    progress: bool


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
    # Folders, and archives named directly: what is indexed from them and gone from them now is removed.
    roots = [p.resolve() for p in paths if p.is_dir() or p.suffix.lower() in RECORD_SUFFIXES]
    # Every file is read and checked before the lock is taken and anything is written.
    parsed, failed_ids = _read_files(files, settings, report, progress=progress, skip_bad=skip_bad)

    with _writer_lock(settings):
        store = ChromaStore(settings)
        current = store.current()
        old = load_snapshot(store, settings, current) if current is not None else None
        run = _IngestRun(store, settings, current, old, report, progress)
        manifest = old.manifest if old else {}
        _refuse_name_clashes(parsed, manifest, report, skip_bad)
        kept = _classify_documents(parsed, manifest, failed_ids, roots, report)
        if report.changed:
            _publish_changes(run, parsed, manifest, kept)
        else:
            _finish_without_changes(run, manifest)
        report.seconds = time.perf_counter() - t0
        return report


def _read_files(
    files: list[Path], settings: Settings, report: IngestReport, *, progress: bool, skip_bad: bool
) -> tuple[dict[str, _Parsed], set[str]]:
    """Parse every file up front, so a bad one stops the run before the index is touched (or, with `skip_bad`,
    is listed in `report.skipped`). Returns the parsed documents by doc id and the ids of the files that failed."""
    parsed: dict[str, _Parsed] = {}
    errors: list[str] = []
    failed_ids: set[str] = set()
    paragraphs_read = 0  # shown beside the files: a folder of a few huge files says little in files alone
    show = progress and (len(files) >= 20 or any(f.suffix.lower() in RECORD_SUFFIXES for f in files))
    with tqdm(total=len(files), desc="reading", unit="file", disable=not show, leave=False) as file_bar:
        for path in files:
            with _record_bar(path, show) as record_bar:
                for doc in _parse_file(path, settings, record_bar):
                    if isinstance(doc, str):
                        report.skipped.append(doc)
                    elif isinstance(doc, InputError):
                        errors.append(str(doc))
                        failed_ids.add(path.stem)
                    elif doc.raw.doc_id in parsed:
                        other = parsed[doc.raw.doc_id].raw.path
                        errors.append(f"{path}: same file name (doc id {doc.raw.doc_id!r}) as {other}; rename one.")
                    else:
                        parsed[doc.raw.doc_id] = doc
                        report.notes.extend(doc.raw.notes)
                        paragraphs_read += len(doc.paragraphs)
            file_bar.set_postfix_str(f"{paragraphs_read} paragraphs", refresh=False)
            file_bar.update(1)
    if errors and not skip_bad:
        hint = "" if not parsed else " (or pass --skip-bad to ingest the rest)"
        shown = errors[:MAX_ERRORS_SHOWN] + [f"... and {len(errors) - MAX_ERRORS_SHOWN} more"] * (
            len(errors) > MAX_ERRORS_SHOWN
        )
        raise InputError("\n".join(shown) + f"\nNothing was changed in the index{hint}.")
    report.skipped.extend(errors)
    return parsed, failed_ids


@contextlib.contextmanager
def _record_bar(path: Path, show: bool) -> Iterator[Any]:
    """A bar over the records of a JSON archive (its lines counted first, for an ETA); a no-op for other files."""
    records = path.suffix.lower() in RECORD_SUFFIXES
    total = _count_lines(path) if records and show and path.suffix.lower() != ".json" else None
    with tqdm(total=total, desc=path.name, unit="record", disable=not (show and records), leave=False) as bar:
        yield bar


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))


def _classify_documents(
    parsed: dict[str, _Parsed],
    manifest: dict[str, DocRecord],
    failed_ids: set[str],
    roots: list[Path],
    report: IngestReport,
) -> list[str]:
    """Fill in the report's added / updated / unchanged / removed lists and their chunk counts by comparing what
    was read with the indexed `manifest`. Returns the indexed ids that stay as they are without having been read
    this time (outside the ingested folders, or unreadable this time)."""
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
    return kept


def _finish_without_changes(run: _IngestRun, manifest: dict[str, DocRecord]) -> None:
    """Nothing changed: the published version stays, and no new one is written."""
    report = run.report
    report.version = run.store.current_name()
    # A no-op run still drops what a failed or killed run left behind (an unpublished collection and its
    # cache folder), as store.py promises ("the orphan is dropped by the next ingest").
    run.store.drop_stale()
    _drop_stale_caches(run.settings, keep=report.version or "")
    run.settings.resume_vectors_path.unlink(missing_ok=True)
    _fill_totals(report, manifest)


def _publish_changes(
    run: _IngestRun, parsed: dict[str, _Parsed], manifest: dict[str, DocRecord], kept: list[str]
) -> None:
    """Write and publish a new version: the kept and unchanged documents carried over, the added and updated ones
    embedded anew; the caches of other versions are dropped only once it is published."""
    report = run.report
    new_docs = [parsed[d] for d in report.added + report.updated]
    new_manifest = {d: manifest[d] for d in kept + report.unchanged}
    new_manifest.update({doc.record.doc_id: doc.record for doc in new_docs})
    snapshot = _write_version(run, kept + report.unchanged, new_docs, new_manifest)
    report.version = snapshot.version
    _fill_totals(report, new_manifest)
    _drop_stale_caches(run.settings, keep=snapshot.version)


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
    run: _IngestRun, carried_docs: list[str], new_docs: list[_Parsed], manifest: dict[str, DocRecord]
) -> Snapshot:
    """Build the new version completely (Chroma collection, then the local snapshot beside it) before the pointer
    moves to it, so a run that fails or is killed part-way leaves the published version as it was."""
    from index.embedder import bulk_embedder_for

    store, settings = run.store, run.settings
    # An index keeps the encoder it was made with (unchanged documents keep their vectors, and queries embed with
    # it); CITED_ENCODER chooses the encoder of a new index.
    encoder = version_encoder(run.current) if run.current is not None else settings.encoder
    embedder = bulk_embedder_for(settings, encoder, sum(doc.record.chunks for doc in new_docs))
    collection = store.create_version(encoder)

    # 1. Carry the vectors of unchanged documents over; no re-embedding.
    carried_paragraphs = _carry_over(run, collection, carried_docs)

    # 2. Embed what is new or changed, one encoder pass a chunk: chunk vectors straight into the collection, the
    # sentence vectors pooled from the same pass into the snapshot's table (carried sentences keep their rows), so
    # no second copy of a big archive's vectors is held. What an earlier run computed and did not publish is read
    # back instead of computed.
    new_paragraphs = [p for doc in new_docs for p in doc.paragraphs]
    paragraphs = carried_paragraphs + new_paragraphs
    vectors, first_new_row = _sentence_vectors(run.old, paragraphs, len(carried_paragraphs), embedder.dimension)
    unfinished = ResumableEmbedder(embedder, settings.resume_vectors_path)
    try:
        _embed_new_documents(run, collection, unfinished, new_docs, vectors[first_new_row:])
    finally:
        unfinished.close()
        run.report.vectors_reused = unfinished.reused

    # 3. The local snapshot.
    snapshot = Snapshot(
        version=collection.name,
        paragraphs=paragraphs,
        sentence_vectors=vectors,
        manifest=manifest,
    )
    snapshot.save(settings.cache_dir / collection.name)

    # 4. Publish, then tidy.
    store.publish(
        collection.name,
        {
            "documents": len(manifest),
            "paragraphs": len(paragraphs),
            "embed_model": embedder.name,
        },
    )
    store.drop_stale(keep=collection.name)
    settings.resume_vectors_path.unlink(missing_ok=True)  # published: these vectors are in Chroma now
    return snapshot


def _carry_over(run: _IngestRun, collection: Any, carried_docs: list[str]) -> list[Paragraph]:
    """Copy the stored vectors of the `carried_docs` from the current collection into the new one (no
    re-embedding); returns their paragraphs from the old snapshot."""
    if run.current is None or run.old is None or not carried_docs:
        return []
    carried = set(carried_docs)
    ids, vecs, docs, metas = [], [], [], []
    for rec in run.store.iter_records(run.current):
        if rec["metadata"]["doc_id"] in carried:
            ids.append(rec["id"])
            vecs.append(rec["embedding"])
            docs.append(rec["document"])
            metas.append(rec["metadata"])
    if ids:
        run.store.add(collection, ids, np.asarray(vecs, dtype=np.float32), docs, metas)
    old = run.old.table  # pick by the doc id column: only the carried records are read and parsed
    return [old[i] for i, doc_id in enumerate(old.doc_ids) if doc_id in carried]


def _embed_new_documents(
    run: _IngestRun, collection: Any, embedder: ResumableEmbedder, new_docs: list[_Parsed], sentence_rows: np.ndarray
) -> None:
    """Embed the chunks of the added and updated documents into `collection`, a few embedder batches per write;
    the same pass gives their sentences' vectors (`index.pooling`), written into `sentence_rows` (the new
    paragraphs' part of the snapshot's table, in paragraph order). The time goes to `report.embed_seconds`. Chunks
    are made a batch at a time and freed memory is returned after each one, so what this holds does not grow with
    the archive (only `sentence_rows`, which is part of the index)."""
    t_embed = time.perf_counter()
    size = max(run.settings.embed_batch_size, 1)
    paragraphs = [p for doc in new_docs for p in doc.paragraphs]
    first_row = first_rows(paragraphs)
    n_sentences = int(sentence_starts(paragraphs)[-1])
    if n_sentences != len(sentence_rows):
        raise RuntimeError(f"sentence table mismatch: {n_sentences} sentences, {len(sentence_rows)} rows")
    chunks = ((c, p) for p in paragraphs for c in chunk_paragraph(p, run.settings.chunk_size))
    written = 0
    n_chunks = sum(doc.record.chunks for doc in new_docs)
    with tqdm(total=n_chunks, desc="embedding", unit="chunk", disable=not run.progress) as bar:
        while batch := list(itertools.islice(chunks, size * 4)):
            vecs, rows = encode_chunks(embedder, batch, first_row, sentence_rows, batch_size=size)
            texts = [c.text for c, _ in batch]
            run.store.add(collection, [c.id for c, _ in batch], vecs, texts, [chunk_metadata(c, p) for c, p in batch])
            written += rows
            bar.update(len(batch))
            release_freed_memory()
    if written != len(sentence_rows):
        raise RuntimeError(f"{len(sentence_rows) - written} sentences were in no chunk")
    run.report.embed_seconds = time.perf_counter() - t_embed


def _sentence_vectors(
    old: Snapshot | None, paragraphs: list[Paragraph], n_carried_paragraphs: int, dim: int
) -> tuple[np.ndarray, int]:
    """The snapshot's sentence vector table for `paragraphs` (the first `n_carried_paragraphs` carried over, their
    rows copied from the old snapshot a paragraph at a time), and the first row of the new paragraphs, which the
    embedder fills."""
    starts = sentence_starts(paragraphs)
    vectors = np.zeros((int(starts[-1]), dim), dtype=np.float16)
    n_carried = int(starts[n_carried_paragraphs])
    row = 0
    for paragraph in paragraphs[:n_carried_paragraphs] if n_carried else []:
        assert old is not None, "carried paragraphs come from the old snapshot"
        old_rows = old.sentence_rows(old.by_id[paragraph.id])
        vectors[row : row + len(old_rows)] = old.sentence_vectors[old_rows.start : old_rows.stop]
        row += len(old_rows)
    return vectors, n_carried


def _drop_stale_caches(settings: Settings, keep: str) -> None:
    if not settings.cache_dir.exists():
        return
    for folder in settings.cache_dir.iterdir():
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)
