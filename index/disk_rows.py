"""Snapshot files a query reads a few scattered rows of, read with `pread` rather than memory-mapped.

A served query touches about 40 paragraphs' records and sentence-vector rows, far apart in their files. Mapped, each
page fault also maps the neighbouring cached pages (the kernel's fault-around, 64 KB, which `MADV_RANDOM` does not
turn off), so after 100 questions on a 2·10^4-paragraph index most of both files counted in the server's RSS
(49 of 78 MB of sentence vectors, 23 of 26 MB of records) though each question needed a few kilobytes. Read with
`os.pread`, the process holds only the rows it asked for; the rest stays in the kernel's page cache, shared and
reclaimable. `pread` keeps no file position, so threads share one descriptor.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

import numpy as np


class _Descriptor:
    """A read-only file descriptor, closed when its owner is collected."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self.fd)

    def read(self, offset: int, length: int) -> bytes:
        data = os.pread(self.fd, length, offset)
        if len(data) != length:
            raise ValueError(f"{self.path} is shorter than expected (wanted {length} bytes at {offset})")
        return data


class RecordFile:
    """Byte ranges of a file of records (`offsets[i]..offsets[i+1]` is record i)."""

    def __init__(self, path: Path, offsets: np.ndarray) -> None:
        self._file = _Descriptor(path)
        self._offsets = offsets

    def __getitem__(self, index: int) -> bytes:
        start, end = int(self._offsets[index]), int(self._offsets[index + 1])
        return self._file.read(start, end - start)


class RowFile:
    """A saved 2-D `.npy` array read by rows on demand: `rows[i]`, `rows[a:b]` and `rows[index_array]` give arrays;
    `np.asarray(rows)` reads it all. Contiguous rows are read in one call."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as fh:
            version = np.lib.format.read_magic(fh)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            shape, fortran_order, dtype = read_header(fh)
            self._start = fh.tell()
        if fortran_order or len(shape) != 2:
            raise ValueError(f"{path} is not a row-major 2-D array")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = np.dtype(dtype)
        self._row_bytes = self.shape[1] * self.dtype.itemsize
        self._file = _Descriptor(path)
        if path.stat().st_size < self._start + self.shape[0] * self._row_bytes:
            raise ValueError(f"{path} is shorter than its {self.shape[0]} rows")

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Any) -> np.ndarray:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            block = self._run(start, max(start, stop))
            return block if step == 1 else block[::step]
        if isinstance(index, int | np.integer):
            row = int(index) + (len(self) if index < 0 else 0)
            if not 0 <= row < len(self):
                raise IndexError(f"row {index} of {len(self)}")
            return self._run(row, row + 1)[0]
        rows = np.asarray(index, dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"rows outside 0..{len(self) - 1}")
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        runs = [self._run(int(run[0]), int(run[-1]) + 1) for run in np.split(rows, breaks) if run.size]
        return np.concatenate(runs) if runs else np.zeros((0, self.shape[1]), dtype=self.dtype)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self._run(0, len(self))
        return whole if dtype is None else whole.astype(dtype)

    def _run(self, start: int, stop: int) -> np.ndarray:
        data = self._file.read(self._start + start * self._row_bytes, (stop - start) * self._row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape(stop - start, self.shape[1])
