"""`cited bench --scale --quick` end to end: SQuAD contexts ingested in a fresh process, the floor, opening the
index in another, latencies beside the bundled index, `cited serve` over both, and an ingest killed with SIGKILL.

The shape of the results and the properties that do not depend on the machine are checked (the killed ingest's
rerun reuses what it had embedded, the old index answered throughout); speed targets are the report's business.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.bench.scale import SQUAD_DIR

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@pytest.mark.skipif(not SQUAD_DIR.is_dir(), reason="../shared/benchmarks is not beside the checkout")
def test_quick_scale_run_measures_everything_and_the_killed_ingest_resumes(tmp_path: Path) -> None:
    from eval.bench.cli import main

    out = tmp_path / "scale"
    code = main(["--scale", "--quick", "--out", str(out), "--no-progress"])
    data = json.loads((out / "scale.json").read_text(encoding="utf-8"))
    assert data["failed"] == {}, data["failed"]
    assert code == 0 and (out / "scale.md").exists() and (out / "scale.png").exists()
    scale = data["scale"]
    assert scale["ingest"]["paragraphs"] == scale["contexts"] > 100
    for key in ("seconds", "paragraphs_per_s", "peak_rss_mb"):
        assert _number(scale["ingest"][key]), key
    assert _number(scale["floor"]["paragraphs_per_s"]) and _number(scale["ingest_vs_floor"])
    for index in ("scale", "bundled"):
        assert _number(scale["open"][index]["seconds"])
        for name in ("retrieve", "ask"):
            assert _number(scale["latency"][index][name]["p50"]), (index, name)
        assert _number(scale["serve"][index]["peak_rss_mb"])
    kill = scale["kill_resume"]
    assert 0 < kill["embedded_before_kill"] < kill["chunks"]  # killed part-way, not after it finished
    assert kill["embedded_again"] == 0 and kill["reused_by_rerun"] == kill["embedded_before_kill"]
    assert kill["old_index_answers"] > 0 and kill["old_index_error_count"] == 0, kill["old_index_errors"]
    assert "scale (" in (out / "scale.md").read_text(encoding="utf-8")
