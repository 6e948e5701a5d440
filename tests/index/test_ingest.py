"""Ingestion end to end: real embeddings, embedded Chroma, incremental updates, refusals, failures."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ui.cli
from index.embedder import embedder_for
from index.ingest import ingest
from index.opening import open_index
from index.readers import InputError
from index.settings import OFFLINE_ENV, Settings
from index.status import index_status
from index.store import ChromaStore, IndexUnavailableError, paragraph_from_metadata

pytestmark = pytest.mark.integration

MOSUL = "Iraqi forces retook eastern Mosul in January"
FURNITURE = ["Skip to main content", "Popular Video", "Leave a Reply", "Your email address"]
OLD_BRIDGE = "The old stone bridge over the river reopened on Monday"
NEW_BRIDGE = "A ferry service replaced the old stone bridge while it was closed for repairs."


def ingest_quietly(paths: list[Path], settings: Settings, **kwargs: Any):  # noqa: ANN201 - an IngestReport
    return ingest(paths, settings, progress=False, **kwargs)


def cache_folders(settings: Settings) -> list[str]:
    return sorted(p.name for p in settings.cache_dir.iterdir()) if settings.cache_dir.exists() else []


def nearest(settings: Settings, query: str) -> tuple[str, str]:
    """(chunk id, text) of the live collection's nearest chunk to the query."""
    vector = embedder_for(settings).encode_one(query)
    collection = ChromaStore(settings).current()
    got = collection.query(query_embeddings=[vector.tolist()], n_results=1, include=["documents"])
    return got["ids"][0][0], got["documents"][0][0]


# --- the bundled articles (the session index; read only) ------------------------------------------


def test_the_bundled_folder_gives_five_documents(articles_settings: Settings, articles_dir: Path) -> None:
    status = index_status(articles_settings)
    opened = open_index(articles_settings)
    manifest = opened.snapshot.manifest
    assert status["documents"] == 5
    assert status["store"] == "embedded chroma"
    assert status["version"] == opened.version == ChromaStore(articles_settings).current_name()
    assert status["paragraphs"] == len(opened.snapshot.paragraphs) == 55
    assert status["chunks"] == opened.collection.count() == sum(r.chunks for r in manifest.values())
    assert status["last_ingest"] != "never"
    on_disk = sum(f.stat().st_size for f in articles_settings.index_dir.rglob("*") if f.is_file())
    assert status["disk_mb"] == round(on_disk / 1e6, 1) and status["disk_mb"] > 0
    assert sorted(manifest) == sorted(p.stem for p in articles_dir.glob("*.txt"))
    for doc_id, record in manifest.items():
        path = Path(record.path)
        assert path == (articles_dir / f"{doc_id}.txt").resolve()
        assert record.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert {r.source for r in manifest.values()} == {"Alwaght", "Tabnak", "Mosul", ""}


def test_no_stored_chunk_holds_page_furniture(
    articles_settings: Settings, chroma_records: Callable[[Settings], dict[str, Any]]
) -> None:
    got = chroma_records(articles_settings)
    assert len(got["ids"]) == index_status(articles_settings)["chunks"] > 0
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        stored = text + meta["paragraph"] + meta["title"]
        for phrase in FURNITURE:
            assert phrase not in stored, (meta["paragraph_id"], phrase)
        assert not text.startswith(("Alwaght-", "Tabnak –", "Mosul-"))


def test_the_mosul_paragraph_has_its_id_and_exact_offsets(
    articles_settings: Settings, articles_dir: Path, chroma_records: Callable[[Settings], dict[str, Any]]
) -> None:
    got = chroma_records(articles_settings)
    hits = [
        (cid, text, meta)
        for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        if MOSUL in text
    ]
    assert len(hits) == 1, hits
    chunk_id, text, meta = hits[0]
    assert chunk_id.startswith("001_6433af30963515e2#")
    assert meta["paragraph_id"] == chunk_id.split(":")[0]
    assert meta["doc_id"] == "001_6433af30963515e2"
    original = (articles_dir / "001_6433af30963515e2.txt").read_bytes().decode("utf-8")
    assert original[meta["start"] : meta["end"]] == text
    paragraph = paragraph_from_metadata(meta)
    assert original[paragraph.start : paragraph.end] == paragraph.text
    assert paragraph.text.startswith(MOSUL)
    assert open_index(articles_settings).snapshot.paragraph(paragraph.id) == paragraph


def test_every_stored_chunk_and_sentence_is_exact_text_of_its_file(
    articles_settings: Settings, chroma_records: Callable[[Settings], dict[str, Any]]
) -> None:
    got = chroma_records(articles_settings)
    originals: dict[str, str] = {}
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        if meta["path"] not in originals:
            originals[meta["path"]] = Path(meta["path"]).read_bytes().decode("utf-8")
        original = originals[meta["path"]]
        assert original[meta["start"] : meta["end"]] == text
        paragraph = paragraph_from_metadata(meta)
        assert paragraph.id == f"{meta['doc_id']}#{meta['n']}"
        assert original[paragraph.start : paragraph.end] == paragraph.text
        for span in paragraph.sentences:
            assert original[span.start : span.end] == paragraph.quote(span.start, span.end)
    assert len(originals) == 5


def test_stored_vectors_are_the_models_in_cosine_space(articles_settings: Settings) -> None:
    collection = ChromaStore(articles_settings).current()
    got = collection.get(include=["embeddings"], limit=8)
    vectors = np.asarray(got["embeddings"], dtype=np.float32)
    assert vectors.shape == (8, embedder_for(articles_settings).dimension)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # Chroma searches with our vectors: the Mosul paragraph answers a question about it, and distances are
    # cosine distances (1 - dot product of normalised vectors).
    embedder = embedder_for(articles_settings)
    query = embedder.encode_one("When did Iraqi forces retake eastern Mosul?")
    found = collection.query(
        query_embeddings=[query.tolist()], n_results=3, include=["documents", "embeddings", "distances"]
    )
    assert MOSUL in found["documents"][0][0]
    for emb, dist in zip(found["embeddings"][0], found["distances"][0], strict=True):
        assert dist == pytest.approx(1.0 - float(np.dot(query, np.asarray(emb))), abs=1e-3)


def test_each_sentence_vector_is_pooled_from_its_own_chunk(
    articles_dir: Path, tmp_path: Path, reference_sentence_vectors: Callable[..., np.ndarray]
) -> None:
    """Ingest embeds chunks from a stream, a batch at a time (here many batches), and places each chunk's
    sentence vectors in the table; every row must still be its own sentence's, pooled from its own chunk."""
    settings = Settings(index_dir=tmp_path / "index", embed_batch_size=4)
    ingest([articles_dir], settings, progress=False)
    snapshot = open_index(settings).snapshot
    assert len(snapshot.sentence_vectors) == sum(len(p.sentences) for p in snapshot.paragraphs) > 4 * 4 * 4
    expected = reference_sentence_vectors(snapshot, embedder_for(settings), settings.chunk_size)
    similarity = np.sum(expected * snapshot.sentence_vectors, axis=1)
    assert similarity.min() > 0.999
    # and it is a sentence's vector, not its paragraph's: closer to the sentence embedded alone than the chunk is
    index = next(i for i, p in enumerate(snapshot.paragraphs) if len(p.sentences) >= 3)
    paragraph = snapshot.paragraphs[index]
    alone = embedder_for(settings).encode(paragraph.sentence_texts())
    chunk = embedder_for(settings).encode([paragraph.text])[0]
    rows = snapshot.sentence_rows(index)
    assert all(alone[i] @ snapshot.sentence_vectors[r] > alone[i] @ chunk for i, r in enumerate(rows))


# --- incremental updates on small corpora ---------------------------------------------------------


def test_reingesting_an_unchanged_folder_changes_nothing(
    fresh_settings: Settings, write_corpus: Callable[..., Path], tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "news")
    first = ingest_quietly([folder], fresh_settings)
    assert first.added == ["bridge", "harvest", "library"]
    assert "3 added" in first.summary()

    again = ingest_quietly([folder], fresh_settings)
    assert (again.added, again.updated, again.removed) == ([], [], [])
    assert sorted(again.unchanged) == ["bridge", "harvest", "library"]
    assert again.version == first.version == ChromaStore(fresh_settings).current_name()
    assert (again.documents, again.paragraphs) == (first.documents, first.paragraphs)
    assert again.chunks == first.chunks
    assert again.chunks_unchanged == first.chunks and again.chunks_added == 0
    assert "0 added, 0 updated, 0 removed, 3 unchanged" in again.summary()
    assert ChromaStore(fresh_settings).versions() == [first.version]


def test_added_modified_and_deleted_files(
    fresh_settings: Settings,
    write_corpus: Callable[..., Path],
    tmp_path: Path,
    chroma_records: Callable[[Settings], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = fresh_settings
    folder = write_corpus(tmp_path / "news", ("bridge", "harvest"))
    first = ingest_quietly([folder], settings)
    assert first.added == ["bridge", "harvest"] and first.documents == 2

    def vectors(doc_id: str) -> dict[str, np.ndarray]:
        got = ChromaStore(settings).current().get(where={"doc_id": doc_id}, include=["embeddings"])
        return {cid: np.asarray(vec) for cid, vec in zip(got["ids"], got["embeddings"], strict=True)}

    harvest_before = vectors("harvest")
    embedded: list[str] = []
    embedder = embedder_for(settings)
    encode = embedder.encode_with_spans

    def spy(texts: list[str], spans: list[Any], **kwargs: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        embedded.extend(texts)
        return encode(texts, spans, **kwargs)

    monkeypatch.setattr(embedder, "encode_with_spans", spy)

    # A new file is added; the others are carried over without re-embedding.
    write_corpus(folder, ("library",))
    added = ingest_quietly([folder], settings)
    assert added.added == ["library"] and added.updated == [] and added.removed == []
    assert sorted(added.unchanged) == ["bridge", "harvest"]
    assert added.chunks_added == 3 and added.chunks_unchanged == first.chunks and added.documents == 3
    assert added.version != first.version
    assert embedded and all(text in (folder / "library.txt").read_text(encoding="utf-8") for text in embedded)
    harvest_after = vectors("harvest")
    assert harvest_after.keys() == harvest_before.keys()
    for chunk_id, vector in harvest_before.items():
        assert np.allclose(harvest_after[chunk_id], vector, atol=1e-6), chunk_id
    assert any("city library will stay open" in d for d in chroma_records(settings)["documents"])

    # A file is modified: its old text is gone from Chroma and from the snapshot.
    bridge = folder / "bridge.txt"
    bridge.write_text("Old Stone Bridge Reopens\n\nRiverside- " + NEW_BRIDGE + "\n", encoding="utf-8")
    updated = ingest_quietly([folder], settings)
    assert updated.updated == ["bridge"] and updated.added == [] and updated.removed == []
    docs = chroma_records(settings)["documents"]
    assert not any(OLD_BRIDGE in d or "Engineers replaced the worn arches" in d for d in docs)
    assert NEW_BRIDGE in docs
    opened = open_index(settings)
    assert [p.text for p in opened.snapshot.paragraphs if p.doc_id == "bridge"] == [NEW_BRIDGE]
    assert opened.snapshot.manifest["bridge"].content_hash == hashlib.sha256(bridge.read_bytes()).hexdigest()
    assert opened.snapshot.manifest["bridge"].paragraphs == 1
    assert nearest(settings, "ferry service while the bridge was closed") == ("bridge#1:0", NEW_BRIDGE)

    # A file is deleted from the ingested folder: it leaves Chroma and the manifest.
    (folder / "harvest.txt").unlink()
    removed = ingest_quietly([folder], settings)
    assert removed.removed == ["harvest"] and removed.added == [] and removed.updated == []
    assert removed.documents == 2
    got = chroma_records(settings)
    assert all(m["doc_id"] != "harvest" for m in got["metadatas"])
    assert not any("harvest festival" in d for d in got["documents"])
    opened = open_index(settings)
    assert sorted(opened.snapshot.manifest) == ["bridge", "library"]
    assert all(p.doc_id != "harvest" for p in opened.snapshot.paragraphs)
    on_disk = json.loads((settings.cache_dir / removed.version / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(on_disk["docs"]) == ["bridge", "library"]
    assert index_status(settings)["documents"] == 2

    # Old versions and their caches are gone.
    assert ChromaStore(settings).versions() == [removed.version]
    assert cache_folders(settings) == [removed.version]


def test_markdown_html_and_crlf_files_are_ingested_with_exact_offsets(
    fresh_settings: Settings, tmp_path: Path, chroma_records: Callable[[Settings], dict[str, Any]]
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "wrapped.md").write_text(
        "# Ferry Crossing Resumes\n\nRiverside- The ferry crossed the river again on Tuesday, carrying\n"
        "commuters who had waited for weeks.\n\n## Background\n\nThe service stopped in May.\n",
        encoding="utf-8",
    )
    (folder / "windows.txt").write_bytes(
        b"Dam Inspection Completed\r\n\r\nMosul- Engineers finished inspecting the dam.\r\n"
        b"Repairs will start in spring.\r\n"
    )
    (folder / "page.html").write_text(
        "<html><head><title>Orchard Harvest Begins</title>"
        '<meta property="og:site_name" content="Valley Times"></head><body>'
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>Orchard Harvest Begins</h1>"
        "<p>Pickers started work in the apple orchards of the valley on Monday, a week early.</p>"
        "<p>Growers expect a record crop after a warm and wet summer across the whole region.</p>"
        "</article><footer>Copyright Valley Times. All rights reserved.</footer></body></html>",
        encoding="utf-8",
    )
    report = ingest_quietly([folder], fresh_settings)
    assert sorted(report.added) == ["page", "windows", "wrapped"]
    assert any("page.html" in note and "HTML" in note for note in report.notes)

    got = chroma_records(fresh_settings)
    by_doc: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        by_doc.setdefault(meta["doc_id"], []).append((text, meta))
    for doc_id in ("wrapped", "windows"):  # text files: offsets into the file's own decoded text
        for text, meta in by_doc[doc_id]:
            original = Path(meta["path"]).read_bytes().decode("utf-8")
            assert original[meta["start"] : meta["end"]] == text
    wrapped = sorted(by_doc["wrapped"], key=lambda item: item[1]["n"])
    assert [" ".join(t.split()) for t, _ in wrapped] == [
        "The ferry crossed the river again on Tuesday, carrying commuters who had waited for weeks.",
        "The service stopped in May.",
    ]
    assert {(m["title"], m["source"]) for _, m in wrapped} == {("Ferry Crossing Resumes", "Riverside")}
    windows = sorted(by_doc["windows"], key=lambda item: item[1]["n"])
    assert [t for t, _ in windows] == [
        "Engineers finished inspecting the dam.",
        "Repairs will start in spring.",
    ]
    assert windows[0][1]["source"] == "Mosul"
    page = sorted(by_doc["page"], key=lambda item: item[1]["n"])
    assert [t for t, _ in page][0].startswith("Pickers started work in the apple orchards")
    assert len(page) == 2 and not any("Home" in t or "Copyright" in t for t, _ in page)
    assert {(m["title"], m["source"]) for _, m in page} == {("Orchard Harvest Begins", "Valley Times")}


def test_a_single_file_from_elsewhere_does_not_remove_the_folders_documents(
    fresh_settings: Settings, write_corpus: Callable[..., Path], tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "news", ("bridge", "harvest"))
    ingest_quietly([folder], fresh_settings)
    other = write_corpus(tmp_path / "elsewhere", ("library",))

    single = ingest_quietly([other / "library.txt"], fresh_settings)
    assert single.added == ["library"] and single.removed == []
    assert single.documents == 3

    # Re-ingesting the folder does not drop the file that came from elsewhere.
    again = ingest_quietly([folder], fresh_settings)
    assert again.removed == [] and again.documents == 3
    assert sorted(open_index(fresh_settings).snapshot.manifest) == ["bridge", "harvest", "library"]


# --- refusals: nothing changes --------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory, write_corpus: Callable[..., Path]) -> tuple[Settings, Path]:
    """An index of two articles that the refusal tests try, and fail, to change. Files > 50 kB are refused."""
    root = tmp_path_factory.mktemp("small-index")
    folder = write_corpus(root / "news", ("bridge", "harvest"))
    settings = Settings(index_dir=root / "index", chroma_url=None, max_file_mb=0.05)
    ingest_quietly([folder], settings)
    return settings, folder


def _bad_empty(folder: Path, tmp: Path) -> tuple[list[Path], str]:
    (folder / "empty.txt").write_bytes(b"")
    return [folder], "empty.txt"


def _bad_whitespace(folder: Path, tmp: Path) -> tuple[list[Path], str]:
    (folder / "blank.md").write_bytes(b"\n \r\n\t\n")
    return [folder], "blank.md"


def _bad_binary(folder: Path, tmp: Path) -> tuple[list[Path], str]:
    (folder / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00" + os.urandom(2000))
    return [folder], "scan.txt"


def _bad_big(folder: Path, tmp: Path) -> tuple[list[Path], str]:
    (folder / "dump.txt").write_text("Iraqi forces advanced again today. " * 3000)  # ~105 kB > 50 kB
    return [folder], "dump.txt"


def _bad_missing(folder: Path, tmp: Path) -> tuple[list[Path], str]:
    return [folder, tmp / "missing-article.txt"], "missing-article.txt"


def _bad_no_supported_files(folder: Path, tmp: Path) -> tuple[list[Path], str]:
    pdfs = tmp / "pdf-only"
    pdfs.mkdir()
    (pdfs / "report.pdf").write_bytes(b"%PDF-1.4")
    return [folder, pdfs], "pdf-only"


def _bad_suffix(folder: Path, tmp: Path) -> tuple[list[Path], str]:
    path = tmp / "slides.pptx"
    path.write_bytes(b"PK\x03\x04")
    return [folder, path], "slides.pptx"


def _bad_furniture_only(folder: Path, tmp: Path) -> tuple[list[Path], str]:
    (folder / "comments.txt").write_text("Leave a Reply\nYour email address will not be published.\n")
    return [folder], "comments.txt"


BAD_INPUTS: dict[str, Callable[[Path, Path], tuple[list[Path], str]]] = {
    "empty file": _bad_empty,
    "whitespace-only file": _bad_whitespace,
    "binary file": _bad_binary,
    "file over the size limit": _bad_big,
    "missing path": _bad_missing,
    "folder without supported files": _bad_no_supported_files,
    "unsupported suffix": _bad_suffix,
    "nothing but furniture": _bad_furniture_only,
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_and_the_index_is_left_as_it_was(
    case: str,
    small_index: tuple[Settings, Path],
    tmp_path: Path,
    write_corpus: Callable[..., Path],
    state_of: Callable[[Settings], tuple[str | None, int, list[str]]],
) -> None:
    settings, folder = small_index
    before = state_of(settings)
    manifest_before = dict(open_index(settings).snapshot.manifest)
    caches_before = cache_folders(settings)
    # A new good article comes along with the bad input: it must not be ingested either.
    extra = write_corpus(tmp_path / "extra", ("library",)) / "library.txt"
    existing = set(folder.iterdir())
    paths, name = BAD_INPUTS[case](folder, tmp_path)
    try:
        with pytest.raises(InputError) as err:
            ingest_quietly([*paths, extra], settings)
    finally:
        for path in set(folder.iterdir()) - existing:
            path.unlink()
    assert name in str(err.value)
    assert state_of(settings) == before
    assert open_index(settings).snapshot.manifest == manifest_before
    assert cache_folders(settings) == caches_before


def test_bad_file_message_says_nothing_changed_and_suggests_skip_bad(
    small_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    settings, folder = small_index
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    with pytest.raises(InputError) as err:
        ingest_quietly([folder, bad], settings)
    message = str(err.value)
    assert message.startswith(f"{bad.resolve()}: the file is empty")
    assert "Nothing was changed in the index" in message and "--skip-bad" in message


def test_skip_bad_ingests_the_good_files(
    fresh_settings: Settings, write_corpus: Callable[..., Path], tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "news")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "scan.txt").write_bytes(b"\x00\x01\x02binary")
    report = ingest_quietly([folder], fresh_settings, skip_bad=True)
    assert sorted(report.added) == ["bridge", "harvest", "library"]
    assert len(report.skipped) == 2
    assert any("empty.txt" in s for s in report.skipped) and any("scan.txt" in s for s in report.skipped)
    assert report.documents == 3
    assert index_status(fresh_settings)["documents"] == 3


def test_two_files_with_the_same_stem_are_a_clear_error(
    fresh_settings: Settings,
    write_corpus: Callable[..., Path],
    tmp_path: Path,
    state_of: Callable[[Settings], tuple[str | None, int, list[str]]],
) -> None:
    first = write_corpus(tmp_path / "a", ("bridge",))
    second = tmp_path / "b"
    second.mkdir()
    (second / "bridge.md").write_text((first / "bridge.txt").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        ingest_quietly([first, second], fresh_settings)
    message = str(err.value)
    assert "bridge.txt" in message and "bridge.md" in message
    assert "same file name" in message and "rename" in message
    assert state_of(fresh_settings) == (None, 0, [])
    # The same in one folder: bridge.txt beside bridge.html.
    (first / "bridge.html").write_text("<html><body><article><p>Other text.</p></article></body></html>")
    with pytest.raises(InputError, match="same file name"):
        ingest_quietly([first], fresh_settings)


def test_a_same_named_file_from_another_folder_never_replaces_an_indexed_article(
    fresh_settings: Settings,
    write_corpus: Callable[..., Path],
    tmp_path: Path,
    state_of: Callable[[Settings], tuple[str | None, int, list[str]]],
) -> None:
    """`cited ingest A/` then `cited ingest B/`, both with bridge.txt: B's must not replace A's (#14 item 1)."""
    first = write_corpus(tmp_path / "a", ("bridge",))
    ingest_quietly([first], fresh_settings)
    before = state_of(fresh_settings)
    second = tmp_path / "b"
    second.mkdir()
    (second / "bridge.txt").write_text("Other Bridge\n\nElsewhere- A different story about a ferry.\n")
    with pytest.raises(InputError) as err:
        ingest_quietly([second], fresh_settings)
    message = str(err.value)
    assert str(second / "bridge.txt") in message and str(first / "bridge.txt") in message
    assert "already in the index" in message and "Nothing was changed" in message
    assert state_of(fresh_settings) == before  # A's article is still the one indexed
    skipped = ingest_quietly([second], fresh_settings, skip_bad=True)
    assert skipped.added == [] and skipped.updated == [] and len(skipped.skipped) == 1
    assert state_of(fresh_settings) == before
    # A file that really moved (its old path is gone) is an update, not a clash.
    (first / "bridge.txt").rename(tmp_path / "moved.txt")
    shutil.copy(tmp_path / "moved.txt", second / "bridge.txt")
    assert ingest_quietly([second], fresh_settings).updated == ["bridge"]


# --- an index that cannot be written or read ------------------------------------------------------


def test_an_unwritable_index_folder(
    tmp_path: Path, write_corpus: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_corpus(tmp_path / "news", ("bridge",))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores permission bits: put the index under a regular file
            blocker = tmp_path / "file.txt"
            blocker.write_text("not a folder")
            index_dir = blocker / "index"
        else:
            index_dir = locked / "index"
        settings = Settings(index_dir=index_dir, chroma_url=None)
        with pytest.raises(IndexUnavailableError, match="not writable") as err:
            ingest_quietly([folder], settings)
        assert str(index_dir) in str(err.value)

        code = ui.cli.main(["ingest", str(folder), "--index-dir", str(index_dir), "--quiet"])
        captured = capsys.readouterr()
        assert code == 2
        assert captured.err.startswith("error: ") and "not writable" in captured.err
        assert "Traceback" not in captured.err
    finally:
        locked.chmod(0o700)


def test_a_corrupt_index_says_to_move_it_aside(
    fresh_settings: Settings,
    write_corpus: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = fresh_settings
    folder = write_corpus(tmp_path / "news", ("bridge",))
    ingest_quietly([folder], settings)
    database = settings.chroma_dir / "chroma.sqlite3"
    assert database.exists()
    database.write_bytes(b"this is not an SQLite database\n" * 512)

    with pytest.raises(IndexUnavailableError) as err:
        open_index(settings)
    message = str(err.value)
    assert "aside" in message and str(settings.index_dir) in message

    for argv in (["status"], ["ingest", str(folder), "--quiet"]):
        code = ui.cli.main([*argv, "--index-dir", str(settings.index_dir)])
        captured = capsys.readouterr()
        assert code == 2, argv
        error_lines = [line for line in captured.err.splitlines() if line.startswith("error:")]
        assert len(error_lines) == 1 and "aside" in captured.err, captured.err
        assert "Traceback" not in captured.err


def test_a_second_ingest_fails_fast_while_one_is_writing(
    fresh_settings: Settings, write_corpus: Callable[..., Path], tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "news", ("bridge",))
    with open(fresh_settings.index_dir / ".ingest.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # A blocking wait on the lock would never return here (this test holds it): the per-test timeout fails it.
        with pytest.raises(IndexUnavailableError, match="another ingest"):
            ingest_quietly([folder], fresh_settings)
    assert ingest_quietly([folder], fresh_settings).added == ["bridge"]


# --- interrupted ingests --------------------------------------------------------------------------


def _fail_publish(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempted: list[str] = []

    def publish(self: ChromaStore, name: str, info: dict[str, Any]) -> None:
        attempted.append(name)
        raise RuntimeError("simulated crash just before the pointer moves")

    monkeypatch.setattr(ChromaStore, "publish", publish)
    return attempted


def test_a_failed_ingest_leaves_the_previous_version_live(
    fresh_settings: Settings,
    write_corpus: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    chroma_records: Callable[[Settings], dict[str, Any]],
) -> None:
    settings = fresh_settings
    folder = write_corpus(tmp_path / "news")
    first = ingest_quietly([folder], settings)
    (folder / "bridge.txt").write_text("Old Stone Bridge Reopens\n\n" + NEW_BRIDGE + "\n", encoding="utf-8")

    attempted = _fail_publish(monkeypatch)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest_quietly([folder], settings)
    monkeypatch.undo()
    assert len(attempted) == 1 and attempted[0] != first.version  # the new version was complete, unpublished

    store = ChromaStore(settings)
    assert store.current_name() == first.version
    assert set(store.versions()) == {first.version, attempted[0]}  # the orphan is still there
    opened = open_index(settings)
    assert opened.version == first.version
    assert sorted(opened.snapshot.manifest) == ["bridge", "harvest", "library"]
    assert any(OLD_BRIDGE in p.text for p in opened.snapshot.paragraphs)
    docs = chroma_records(settings)["documents"]
    assert any(OLD_BRIDGE in d for d in docs) and NEW_BRIDGE not in docs
    chunk_id, text = nearest(settings, "When did the old stone bridge reopen after repairs?")
    assert chunk_id == "bridge#1:0" and text.startswith(OLD_BRIDGE)

    # The next successful ingest publishes the change and drops the orphan.
    done = ingest_quietly([folder], settings)
    assert done.updated == ["bridge"]
    assert ChromaStore(settings).versions() == [done.version]
    assert cache_folders(settings) == [done.version]
    assert NEW_BRIDGE in chroma_records(settings)["documents"]


def test_a_noop_ingest_after_a_failed_one_still_drops_the_orphan(
    fresh_settings: Settings,
    write_corpus: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = fresh_settings
    folder = write_corpus(tmp_path / "news", ("bridge", "harvest"))
    first = ingest_quietly([folder], settings)
    bridge = folder / "bridge.txt"
    original = bridge.read_bytes()
    bridge.write_text("Old Stone Bridge Reopens\n\n" + NEW_BRIDGE + "\n", encoding="utf-8")
    attempted = _fail_publish(monkeypatch)
    with pytest.raises(RuntimeError):
        ingest_quietly([folder], settings)
    monkeypatch.undo()
    assert len(ChromaStore(settings).versions()) == 2 and len(cache_folders(settings)) == 2

    bridge.write_bytes(original)  # the change is reverted: the next run has nothing to do
    report = ingest_quietly([folder], settings)
    assert not report.changed and report.version == first.version
    assert attempted[0] not in ChromaStore(settings).versions()
    assert ChromaStore(settings).versions() == [first.version]
    assert cache_folders(settings) == [first.version]


def _generated_corpus(folder: Path, files: int, paragraphs: int = 5) -> None:
    rnd = random.Random(20170121)
    units = ["brigade", "battalion", "police unit", "militia", "engineering corps", "medical team"]
    places = ["the river", "the old bridge", "the airport", "the market", "the university", "the mosque"]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        body = []
        for j in range(paragraphs):
            unit, place = rnd.choice(units), rnd.choice(places)
            body.append(
                f"On day {rnd.randint(1, 28)} the {unit} number {i * 10 + j} moved towards {place}. "
                f"Officials said {rnd.randint(2, 900)} people were evacuated from district {i}-{j}."
            )
        (folder / f"report_{i:02d}.txt").write_text(f"Field Report {i}\n\n" + "\n\n".join(body) + "\n")


class _StderrWatcher:
    """Collects a child's stderr (tqdm writes \\r, not lines) on a thread, so the test can wait for a word."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.data = b""
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        while chunk := os.read(proc.stderr.fileno(), 4096):
            with self._lock:
                self.data += chunk

    def text(self) -> str:
        with self._lock:
            return self.data.decode(errors="replace")


def _unfinished_vectors(settings: Settings) -> int:
    """How many vectors an unfinished ingest has committed to its resume file (0 while there is none yet)."""
    import sqlite3

    if not settings.resume_vectors_path.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(settings.resume_vectors_path, timeout=1)) as db:
            return int(db.execute("SELECT count(*) FROM vectors").fetchone()[0])
    except sqlite3.OperationalError:  # the writer has not created the table yet, or holds the lock
        return 0


@pytest.mark.slow
def test_a_killed_ingest_leaves_the_previous_version_live(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    _generated_corpus(folder, files=3)
    settings = Settings(index_dir=tmp_path / "index", chroma_url=None)
    first = ingest_quietly([folder], settings)
    assert first.documents == 3 and first.paragraphs == 15
    _generated_corpus(folder, files=30)  # the first three files are rewritten unchanged
    assert len(list(folder.iterdir())) == 30

    env = {k: v for k, v in os.environ.items() if not k.startswith("CITED_")} | OFFLINE_ENV
    cmd = [sys.executable, "-m", "ui.cli", "ingest", str(folder), "--index-dir", str(settings.index_dir)]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watcher = _StderrWatcher(proc)
    try:
        deadline = time.monotonic() + 120
        while "embedding" not in watcher.text() or not _unfinished_vectors(settings):
            if proc.poll() is not None or time.monotonic() > deadline:
                output = watcher.text()[-3000:]
                pytest.fail(f"`{' '.join(cmd)}` never showed its embedding progress and first vectors:\n{output}")
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    store = ChromaStore(settings)
    assert store.current_name() == first.version
    assert len(store.versions()) == 2  # the half-written version of the killed run
    opened = open_index(settings)
    assert opened.version == first.version
    assert sorted(opened.snapshot.manifest) == ["report_00", "report_01", "report_02"]
    assert opened.collection.count() == first.chunks
    assert index_status(settings)["documents"] == 3

    computed_before_the_kill = _unfinished_vectors(settings)
    rerun = ingest_quietly([folder], settings)
    assert rerun.vectors_reused == computed_before_the_kill > 0  # nothing already embedded is embedded again
    assert not settings.resume_vectors_path.exists()
    assert len(rerun.added) == 27 and sorted(rerun.unchanged) == ["report_00", "report_01", "report_02"]
    assert rerun.documents == 30 and rerun.paragraphs == 150
    assert ChromaStore(settings).versions() == [rerun.version]
    assert cache_folders(settings) == [rerun.version]
    assert open_index(settings).collection.count() == rerun.chunks == 150


def test_retired_versions_free_their_disk(
    fresh_settings: Settings, write_corpus: Callable[..., Path], tmp_path: Path
) -> None:
    """#14 item 5: every publishing ingest used to leave the previous version's vector folder in <index>/chroma."""
    import re

    folder = write_corpus(tmp_path / "news", ("bridge", "harvest"))
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

    def segment_folders() -> set[str]:
        return {d.name for d in fresh_settings.chroma_dir.iterdir() if d.is_dir() and uuid.fullmatch(d.name)}

    ingest_quietly([folder], fresh_settings)
    after_one = segment_folders()
    for i in range(3):  # three more published versions
        (folder / "bridge.txt").write_text(f"Bridge Story {i}\n\nTown- The bridge was repaired for the {i}th time.\n")
        assert ingest_quietly([folder], fresh_settings).updated == ["bridge"]
    # one version's worth of vector folders, not four
    assert len(segment_folders()) == len(after_one)
    orphan = fresh_settings.chroma_dir / "00000000-0000-0000-0000-000000000000"  # what a killed ingest leaves
    orphan.mkdir()
    ingest_quietly([folder], fresh_settings)  # a no-op run tidies too
    assert not orphan.exists() and len(segment_folders()) == len(after_one)


def test_many_versions_do_not_grow_the_database(fresh_settings: Settings, articles_dir: Path, tmp_path: Path) -> None:
    """#14's soak: every version's rows left tombstones in Chroma's full-text index (FTS5), which VACUUM keeps, so
    the index grew with the number of versions (1.6x after 25). Ingesting retires them, so it stays put."""
    import sqlite3

    folder = tmp_path / "news"
    shutil.copytree(articles_dir, folder)

    def fulltext_bytes() -> int:
        with sqlite3.connect(fresh_settings.chroma_dir / "chroma.sqlite3") as db:
            return int(db.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'embedding_fulltext%'").fetchone()[0])

    ingest_quietly([folder], fresh_settings)
    one_version, one_disk = fulltext_bytes(), index_status(fresh_settings)["disk_mb"]
    for i in range(10):  # ten more published versions, each rewriting one article's rows
        (folder / "extra.txt").write_text(f"Extra Story {i}\n\nTown- The extra story was told for the {i}th time.\n")
        ingest_quietly([folder], fresh_settings)
    assert fulltext_bytes() <= 1.2 * one_version, (fulltext_bytes(), one_version)
    assert index_status(fresh_settings)["disk_mb"] <= 1.5 * one_disk
