"""The Chroma side of the index: versioned collections behind a pointer.

An ingest never edits the live collection. It writes a new collection `{name}-v{time}` (copying the vectors of
unchanged documents, embedding only what changed), and only when that is complete does it move the pointer, a
one-row update of a small `{name}-meta` collection's metadata. A crash or a kill before that leaves the previous
version live and queryable; the orphan is dropped by the next ingest. The same scheme works for the embedded store
and for a Chroma server, because both only need Chroma's own atomic metadata update.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from index.dates import day_number
from index.models import Chunk, Paragraph
from index.settings import Settings, apply_offline_guards

log = logging.getLogger(__name__)
ENCODER_KEY = "encoder"  # a version's metadata: the CITED_ENCODER its vectors were made with (queries use it too)
PUBLISHED_DAY_KEY = "published_day"  # chunk metadata: the article's day as YYYYMMDD, for since/until in `where`
CHROMA_FULLTEXT_TABLE = "embedding_fulltext_search"  # Chroma's FTS5 table of documents (chromadb/migrations)
VACUUM_TIMEOUT_S = 5.0  # how long compacting the embedded store waits for readers to let go
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class IndexUnavailableError(RuntimeError):
    """The index cannot be opened or written; the message says what to do."""


def _open_client(settings: Settings) -> Any:
    apply_offline_guards()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as err:
            raise IndexUnavailableError(
                f"cannot reach the Chroma server at {settings.chroma_url} ({type(err).__name__}). Start it "
                "(`chroma run --path DIR --port PORT`) or unset CITED_CHROMA_URL to use the embedded store."
            ) from err
        return client
    path = settings.chroma_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as err:
        raise IndexUnavailableError(
            f"the index at {path} cannot be opened ({type(err).__name__}: {err}). If it is damaged, move the folder "
            f"{settings.index_dir} aside and run `cited ingest` again."
        ) from err


def _root_cause(err: BaseException) -> str:
    """The innermost exception of a chain, named: chromadb wraps a refused connection in a bare ValueError."""
    seen = err
    while seen.__cause__ is not None or (seen.__context__ is not None and not seen.__suppress_context__):
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    return f"{type(seen).__name__}: {seen}"


def chunk_metadata(chunk: Chunk, paragraph: Paragraph) -> dict[str, Any]:
    """Everything needed to rebuild the paragraph from Chroma alone (server mode on a fresh machine), and the
    article's day as a number (`PUBLISHED_DAY_KEY`: Chroma compares numbers only), absent when unknown."""
    day = {PUBLISHED_DAY_KEY: day_number(paragraph.published)} if paragraph.published else {}
    return day | {
        "paragraph_id": paragraph.id,
        "doc_id": paragraph.doc_id,
        "n": paragraph.n,
        "piece": chunk.piece,
        "start": chunk.start,
        "end": chunk.end,
        "title": paragraph.title,
        "source": paragraph.source,
        "path": paragraph.path,
        "content_hash": paragraph.content_hash,
        "paragraph": paragraph.model_dump_json(),
    }


class ChromaStore:
    """Versioned chunk collections in an embedded Chroma folder or on a Chroma server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = settings.collection
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _open_client(self.settings)
        return self._client

    @property
    def location(self) -> str:
        return self.settings.store_location

    def _guard(self, action: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except IndexUnavailableError:
            raise
        except Exception as err:
            if self.settings.chroma_url and not self._reachable():
                raise IndexUnavailableError(
                    f"cannot reach the Chroma server at {self.settings.chroma_url} ({_root_cause(err)}): start it "
                    "or check CITED_CHROMA_URL; nothing was changed."
                ) from err
            raise IndexUnavailableError(
                f"Chroma failed to {action} at {self.location} ({_root_cause(err)}). If the index is "
                f"damaged, move {self.settings.index_dir} aside (or reset the server) and run `cited ingest` again."
            ) from err

    def _reachable(self) -> bool:
        """Whether the Chroma server answers its heartbeat now (a server that went down after we connected)."""
        try:
            self.client.heartbeat()
        except Exception:
            return False
        return True

    # --- the pointer -------------------------------------------------------------------------------------------
    def _meta(self) -> Any:
        return self._guard(
            "open the index pointer",
            self.client.get_or_create_collection,
            f"{self.base}-meta",
            metadata={"current": "", "kind": "cited pointer"},
            embedding_function=None,
        )

    def pointer(self) -> dict[str, Any]:
        return dict(self._meta().metadata or {})

    def current_name(self) -> str | None:
        return self.pointer().get("current") or None

    def current(self) -> Any | None:
        name = self.current_name()
        if not name:
            return None
        return self._guard("open the current collection", self.client.get_collection, name, embedding_function=None)

    def publish(self, name: str, info: dict[str, Any]) -> None:
        """Make `name` the live collection, atomically."""
        meta = {"current": name, "kind": "cited pointer", "published_at": time.time()}
        meta.update({k: v for k, v in info.items() if isinstance(v, str | int | float | bool)})
        self._guard("publish the new index", self._meta().modify, metadata=meta)

    # --- versions ----------------------------------------------------------------------------------------------
    def create_version(self, encoder: str) -> Any:
        name = f"{self.base}-v{time.time_ns()}"
        return self._guard(
            "create a collection",
            self.client.create_collection,
            name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"kind": "cited chunks", ENCODER_KEY: encoder},
            embedding_function=None,
        )

    def versions(self) -> list[str]:
        names = [
            c if isinstance(c, str) else c.name for c in self._guard("list collections", self.client.list_collections)
        ]
        # Exactly "{base}-v{digits}": a prefix test also claimed other collections on the same server
        # ("cited-v2-meta", "cited-v2-v…" of an index named "cited-v2"), which drop_stale then deleted.
        own = re.compile(rf"{re.escape(self.base)}-v\d+")
        return sorted(n for n in names if own.fullmatch(n))

    def drop_stale(self, keep: str | None = None) -> list[str]:
        """Delete every version but the live one (and `keep`): old versions and orphans of killed ingests."""
        live = {self.current_name(), keep}
        dropped = [n for n in self.versions() if n not in live]
        for name in dropped:
            self._guard("delete an old collection", self.client.delete_collection, name)
        if not self.settings.chroma_url:
            self.reclaim_disk()
        return dropped

    def reclaim_disk(self) -> list[Path]:
        """Remove vector-segment folders of the embedded store that no collection uses any more.

        Chroma deletes a collection's rows but leaves its HNSW folder (`<chroma>/<segment uuid>/`) on disk, so every
        retired version and every killed ingest's partial one would stay there. The live segments are the ones its
        own `segments` table lists; any other uuid-named folder is an orphan."""
        folder = self.settings.chroma_dir
        database = folder / "chroma.sqlite3"
        if not database.is_file():
            return []
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
            live = {row[0] for row in connection.execute("SELECT id FROM segments")}
        orphans = [d for d in folder.iterdir() if d.is_dir() and _UUID.fullmatch(d.name) and d.name not in live]
        for orphan in orphans:
            shutil.rmtree(orphan, ignore_errors=True)
        _vacuum(database)
        return orphans

    # --- records -----------------------------------------------------------------------------------------------
    def batch_size(self) -> int:
        try:
            return max(1, min(int(self.client.get_max_batch_size()), 2000))
        except Exception:
            return 1000

    def iter_records(self, collection: Any, where: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """All records (ids, documents, metadatas, embeddings) of a collection, page by page."""
        page = self.batch_size()
        offset = 0
        while True:
            got = self._guard(
                "read records",
                collection.get,
                where=where,
                include=["documents", "metadatas", "embeddings"],
                limit=page,
                offset=offset,
            )
            ids = got["ids"]
            if not ids:
                return
            for i, rid in enumerate(ids):
                yield {
                    "id": rid,
                    "document": got["documents"][i],
                    "metadata": got["metadatas"][i],
                    "embedding": got["embeddings"][i],
                }
            offset += len(ids)

    def add(self, collection: Any, ids: list[str], embeddings: Any, documents: list[str], metadatas: list[Any]) -> None:
        step = self.batch_size()
        for i in range(0, len(ids), step):
            self._guard(
                "write records",
                collection.add,
                ids=ids[i : i + step],
                embeddings=embeddings[i : i + step],
                documents=documents[i : i + step],
                metadatas=metadatas[i : i + step],
            )


def _vacuum(database: Path) -> None:
    """Give the retired versions' rows back to the file system. SQLite keeps freed pages inside the file, and
    Chroma's full-text index (an FTS5 table) keeps a deleted row's terms as tombstone segments that VACUUM does not
    touch: measured, 25 versions of the bundled corpus grew it 9x and the index 1.6x. FTS5's own `optimize` merges
    the segments (the rows and their search results stay as they are), then VACUUM returns the pages. Best effort:
    when a reader keeps the database busy past the timeout, the next ingest tries again."""
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=VACUUM_TIMEOUT_S)) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if CHROMA_FULLTEXT_TABLE in tables:
                with connection:
                    table = CHROMA_FULLTEXT_TABLE
                    connection.execute(f"INSERT INTO {table}({table}) VALUES('optimize')")
            connection.execute("VACUUM")
    except sqlite3.Error as err:
        log.info("could not compact %s now (%s); the next ingest will try again", database, err)


def paragraph_from_metadata(metadata: dict[str, Any]) -> Paragraph:
    return Paragraph.model_validate(json.loads(metadata["paragraph"]))
