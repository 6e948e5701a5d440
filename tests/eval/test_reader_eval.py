"""The given-paragraph evaluation never fits its threshold on questions the reader was trained on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.reader_eval import threshold_split

pytestmark = pytest.mark.unit


def model_dir(tmp_path: Path, calibration_file: str | None) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    config = {"calibration_file": calibration_file}
    (folder / "training.json").write_text(json.dumps({"config": config}), encoding="utf-8")
    return folder


def test_a_reader_trained_without_the_file_fits_on_its_first_half(tmp_path: Path) -> None:
    v2 = Path("squad-v2.0-dev.json")
    assert threshold_split(model_dir(tmp_path, None), v2, 35, 0.5) == (0, 17)
    assert threshold_split(tmp_path / "no-such-model", v2, 35, 0.5) == (0, 17)


def test_a_reader_trained_on_the_calibration_split_fits_on_the_next_articles(tmp_path: Path) -> None:
    folder = model_dir(tmp_path, "../shared/benchmarks/squad-v2.0-dev.json")
    first, cut = threshold_split(folder, Path("/elsewhere/squad-v2.0-dev.json"), 35, 0.5)
    assert (first, cut) == (17, 26)  # trained on 0..16, threshold on 17..25, reported on 26..34
    assert threshold_split(folder, Path("other-v2.json"), 35, 0.5) == (0, 17)  # trained on another file
