"""The quick benchmark end to end: real ingest, real queries, a real `cited ask` and a real `cited serve`.

Only the shape of the results is checked; the targets are reported by the benchmark, never asserted here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def test_quick_bench_writes_every_section(tmp_path: Path) -> None:
    from eval.bench.cli import main

    out = tmp_path / "bench"
    code = main(["--quick", "--out", str(out), "--no-progress"])
    data = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert data["failed"] == {}, data["failed"]
    assert code == 0

    machine = data["machine"]
    assert machine["cpu_count"] >= 1 and machine["cpu_model"] and machine["ram_gb"] > 0
    assert machine["python"] and machine["torch"]

    bundled = data["ingest"]["bundled"]
    for key in ("seconds", "paragraphs_per_s", "floor_s", "floor_paragraphs_per_s", "ratio"):
        assert _number(bundled[key]), key
    assert bundled["paragraphs"] > 0
    assert _number(data["models"]["cited_load_s"])

    query = data["query"]
    for name in ("retrieve", "ask", "peer_retrieve"):
        assert _number(query[name]["p50"]) and _number(query[name]["p95"]), name
    assert _number(query["ratio_ask_vs_peer"])

    reader = data["reader"]
    for name in ("reader", "reader_other", "peer_reader"):
        assert _number(reader[name]["p50"]) and _number(reader[name]["p95"]), name
    assert 0.0 <= reader["agreement"] <= 1.0 and 0.0 <= reader["agreement_other"] <= 1.0
    assert reader["passages_per_question"] > 0
    # the default cascade, and fp32 beside it (eval.bench.reader_bench.OTHER_RUNTIME)
    assert (
        reader["runtime"].startswith("onnx int8, onnx fp32 where contested") and reader["runtime_other"] == "onnx fp32"
    )

    cold = data["cold_start"]
    assert _number(cold["ours_s"]) and _number(cold["peer_s"])

    server = data["server"]
    assert _number(server["memory"]["peak_rss_mb"])
    load = server["concurrency"]
    for key in ("throughput_qps", "p50_ms", "p95_ms"):
        assert _number(load[key]), key
    assert isinstance(load["errors"], int)

    table = data["table"]
    targets = {row["metric"] for row in table if row["target"]}
    assert {"ingest time", "ask p50", "read p50", "same answer as the peer", "`cited ask` to first answer"} <= targets
    assert all(row["met"] in (True, False) for row in table if row["target"])

    assert (out / "bench.png").read_bytes()[:8] == PNG_MAGIC
    assert (out / "bench.md").read_text(encoding="utf-8").startswith("# cited bench (quick)")
