"""Server mode: the same versioned index on a real `chroma run` server, and a snapshot rebuilt from it."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from processes import chroma_server_at

import ui.cli
from index.ingest import ingest
from index.opening import open_index
from index.settings import Settings
from index.snapshot import Snapshot
from index.status import index_status
from index.store import ChromaStore, IndexUnavailableError

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


@pytest.fixture
def server_settings(chroma_server: str, unique_collection: Callable[..., str], tmp_path: Path) -> Settings:
    return Settings(chroma_url=chroma_server, collection=unique_collection(), index_dir=tmp_path / "index")


def test_ingest_into_the_server_and_rebuild_the_local_snapshot_from_it(
    server_settings: Settings, articles_dir: Path, chroma_server: str
) -> None:
    settings = server_settings
    report = ingest([articles_dir], settings, progress=False)
    assert report.documents == 5 and report.added and not report.skipped
    assert ChromaStore(settings).current().count() == report.chunks
    status = index_status(settings)
    assert status["store"] == "chroma server" and status["location"] == chroma_server
    assert (status["documents"], status["chunks"], status["version"]) == (5, report.chunks, report.version)
    assert not settings.chroma_dir.exists()  # nothing went to an embedded store

    saved = Snapshot.load(settings.cache_dir / report.version)
    shutil.rmtree(settings.cache_dir)  # a new machine: only the server knows the index

    opened = open_index(settings)
    assert opened.version == report.version
    rebuilt = opened.snapshot
    assert {p.id: p for p in rebuilt.paragraphs} == {p.id: p for p in saved.paragraphs}
    assert len(rebuilt.paragraphs) == len(saved.paragraphs) == report.paragraphs
    assert rebuilt.manifest.keys() == saved.manifest.keys()
    for doc_id, record in saved.manifest.items():
        again = rebuilt.manifest[doc_id]
        for attribute in ("path", "content_hash", "title", "source", "paragraphs", "chunks"):
            assert getattr(again, attribute) == getattr(record, attribute), (doc_id, attribute)

    def sentence_vectors(snapshot: Snapshot) -> dict[tuple[str, int], np.ndarray]:
        return {
            (snapshot.paragraphs[pi].id, si): snapshot.sentence_vectors[row]
            for row, (pi, si) in enumerate(snapshot.sentence_owner.tolist())
        }

    old_vectors, new_vectors = sentence_vectors(saved), sentence_vectors(rebuilt)
    assert old_vectors.keys() == new_vectors.keys()
    for key, vector in old_vectors.items():
        assert np.allclose(new_vectors[key], vector, atol=1e-3), key
    assert (settings.cache_dir / report.version / "manifest.json").exists()  # and it is cached again


def test_another_index_on_the_same_server_is_left_alone(
    chroma_server: str,
    unique_collection: Callable[..., str],
    tmp_path: Path,
    write_corpus: Callable[..., Path],
) -> None:
    base = unique_collection()
    mine = Settings(chroma_url=chroma_server, collection=base, index_dir=tmp_path / "mine")
    # A second index whose name starts like one of this index's versions ("{base}-v…").
    theirs = Settings(chroma_url=chroma_server, collection=f"{base}-v2", index_dir=tmp_path / "theirs")
    folder = write_corpus(tmp_path / "news", ("bridge",))
    ingest([folder], mine, progress=False)
    their_report = ingest([write_corpus(tmp_path / "other", ("harvest",))], theirs, progress=False)

    write_corpus(folder, ("library",))
    my_report = ingest([folder], mine, progress=False)  # publishes, then drops this index's old versions
    assert my_report.added == ["library"]
    assert ChromaStore(mine).versions() == [my_report.version]
    assert ChromaStore(theirs).versions() == [their_report.version]
    assert ChromaStore(theirs).current_name() == their_report.version
    assert sorted(open_index(theirs).snapshot.manifest) == ["harvest"]
    assert index_status(theirs)["documents"] == 1


@pytest.mark.timeout(120)  # a client that retries forever instead of failing is caught here, not by CI's clock
def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    settings = Settings(chroma_url=url, index_dir=tmp_path / "index")
    with pytest.raises(IndexUnavailableError) as err:
        open_index(settings)
    assert url in str(err.value) and "chroma run" in str(err.value)
    with pytest.raises(IndexUnavailableError, match=url):
        index_status(settings)

    code = ui.cli.main(["status", "--chroma-url", url, "--index-dir", str(tmp_path / "index")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("error: cannot reach the Chroma server at " + url)
    assert "Traceback" not in captured.err


def test_a_server_that_goes_down_after_connecting_is_named_as_unreachable(
    tmp_path: Path, articles_dir: Path, unique_collection: Callable[..., str]
) -> None:
    """Not "the index is damaged, reset the server": the server is down, and that is what to fix (#14 item 6)."""
    data = tmp_path / "server-data"
    data.mkdir()
    with chroma_server_at(data) as url:
        settings = Settings(chroma_url=url, collection=unique_collection(), index_dir=tmp_path / "index")
        ingest([articles_dir], settings, progress=False)
        store = ChromaStore(settings)
        assert store.current() is not None  # connected, and the client is kept
    with pytest.raises(IndexUnavailableError) as err:
        store.current()
    message = str(err.value)
    assert message.startswith(f"cannot reach the Chroma server at {url}") and "CITED_CHROMA_URL" in message
    assert "reset" not in message and "damaged" not in message
    assert "ValueError" not in message.split("(")[1].split(":")[0]  # the real cause, not chromadb's wrapper


def test_cli_ingest_and_status_with_a_server(
    chroma_server: str,
    unique_collection: Callable[..., str],
    tmp_path: Path,
    write_corpus: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collection = unique_collection()
    monkeypatch.setenv("CITED_COLLECTION", collection)  # the CLI has no --collection; the server is shared
    folder = write_corpus(tmp_path / "news")
    common = ["--chroma-url", chroma_server, "--index-dir", str(tmp_path / "index")]

    assert ui.cli.main(["ingest", str(folder), *common, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "3 files: 3 added, 0 updated, 0 removed, 0 unchanged" in out

    assert ui.cli.main(["status", *common, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["store"] == "chroma server" and status["location"] == chroma_server
    assert status["documents"] == 3 and status["version"].startswith(f"{collection}-v")
    server = Settings(chroma_url=chroma_server, collection=collection, index_dir=tmp_path / "elsewhere")
    assert ChromaStore(server).current().count() == status["chunks"] == 8
