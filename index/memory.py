"""Giving freed memory back to the system between the batches of a long ingest.

Each embedding batch allocates and frees tens of megabytes of activations and tokenizer buffers, in sizes that
change with the texts. glibc's allocator keeps the freed pieces in its arenas rather than returning them, so a big
ingest's resident memory grew with the archive (measured: +25 MB between 1,000 and 5,000 records beyond the
opened index, `python -m eval.bench.archive_memory`) though nothing it held did. `malloc_trim` returns them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "malloc_trim") else None  # glibc only; musl and macOS have none


def release_freed_memory() -> None:
    """Return the allocator's free pages to the system (a no-op where the C library has no `malloc_trim`)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
