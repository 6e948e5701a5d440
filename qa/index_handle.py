"""One open index per process, shared by every retriever and assistant, refreshed when an ingest publishes.

Opening Chroma and loading the snapshot costs hundreds of milliseconds; doing it per query would dominate latency.
A handle opens once, and at most every `REFRESH_SECONDS` asks the pointer whether a newer version was published
(by `cited ingest` in another process, say), swapping it in without interrupting queries in flight.
"""

from __future__ import annotations

import threading
import time

from index.opening import OpenIndex, open_index
from index.settings import Settings
from index.store import ChromaStore

REFRESH_SECONDS = 2.0


class IndexHandle:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store = ChromaStore(settings)
        self._lock = threading.Lock()
        self._open: OpenIndex | None = None
        self._checked = 0.0

    def get(self) -> OpenIndex:
        now = time.monotonic()
        current = self._open
        if current is not None and now - self._checked < REFRESH_SECONDS:
            return current
        with self._lock:
            if self._open is None:
                self._open = open_index(self.settings, self._store)
            elif time.monotonic() - self._checked >= REFRESH_SECONDS:
                live = self._store.current_name()
                if live and live != self._open.version:
                    self._open = open_index(self.settings, self._store)
            self._checked = time.monotonic()
            return self._open

    def is_stale(self) -> bool:
        """Whether a newer version than the one held has been published (asks the pointer now)."""
        live = self._store.current_name()
        return bool(live) and (self._open is None or live != self._open.version)

    def reopen(self) -> OpenIndex:
        """Open the live version now, whatever the refresh clock says."""
        with self._lock:
            self._open = open_index(self.settings, self._store)
            self._checked = time.monotonic()
            return self._open


_handles: dict[tuple[str, str, str], IndexHandle] = {}
_handles_lock = threading.Lock()


def shared_handle(settings: Settings) -> IndexHandle:
    key = (settings.store_location, settings.collection, str(settings.index_dir.resolve()))
    with _handles_lock:
        if key not in _handles:
            _handles[key] = IndexHandle(settings)
        return _handles[key]
