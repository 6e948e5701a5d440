"""Rows read from disk on demand give exactly what the saved array holds, and a short file is refused up front."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.disk_rows import RecordFile, RowFile

pytestmark = pytest.mark.unit


def test_rows_read_from_disk_are_the_saved_rows(tmp_path: Path) -> None:
    saved = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float16)
    np.save(tmp_path / "rows.npy", saved)
    rows = RowFile(tmp_path / "rows.npy")
    assert len(rows) == 50 and rows.shape == (50, 8) and rows.dtype == np.float16
    assert np.array_equal(rows[7], saved[7]) and np.array_equal(rows[-1], saved[-1])
    assert np.array_equal(rows[10:20], saved[10:20]) and np.array_equal(rows[40:60], saved[40:])
    scattered = np.array([3, 4, 5, 30, 31, 2, 49])  # runs read together, order kept
    assert np.array_equal(rows[scattered], saved[scattered])
    assert rows[np.zeros(0, dtype=int)].shape == (0, 8)
    assert np.array_equal(np.asarray(rows, dtype=np.float32), saved.astype(np.float32))
    with pytest.raises(IndexError):
        rows[50]
    with pytest.raises(IndexError):
        rows[np.array([1, 50])]


def test_a_short_or_wrong_file_is_refused_with_its_name(tmp_path: Path) -> None:
    np.save(tmp_path / "rows.npy", np.zeros((10, 4), dtype=np.float16))
    whole = (tmp_path / "rows.npy").read_bytes()
    (tmp_path / "rows.npy").write_bytes(whole[:-8])
    with pytest.raises(ValueError, match="rows.npy is shorter than its 10 rows"):
        RowFile(tmp_path / "rows.npy")
    np.save(tmp_path / "flat.npy", np.zeros(10))
    with pytest.raises(ValueError, match="flat.npy is not a row-major 2-D array"):
        RowFile(tmp_path / "flat.npy")


def test_records_are_their_byte_ranges(tmp_path: Path) -> None:
    (tmp_path / "records").write_bytes(b"alpha\nbe\ngamma\n")
    records = RecordFile(tmp_path / "records", np.array([0, 6, 9, 15]))
    assert [records[i] for i in range(3)] == [b"alpha\n", b"be\n", b"gamma\n"]
    short = RecordFile(tmp_path / "records", np.array([0, 6, 9, 20]))
    with pytest.raises(ValueError, match="records is shorter than expected"):
        short[2]
