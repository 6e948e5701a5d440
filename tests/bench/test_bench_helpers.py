"""Unit tests of the benchmark's helpers: percentiles, ratios, targets, probes, import-time parsing, PNG."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from eval.bench import probes
from eval.bench.diagnose import parse_importtime
from eval.bench.report import fmt, markdown, write_png
from eval.bench.stats import finite, median, met, percentile, ratio, summarize
from eval.bench.targets import build_rows

pytestmark = pytest.mark.unit


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    values = list(range(1, 11))  # 1..10
    assert percentile(values, 0) == 1
    assert percentile(values, 100) == 10
    assert percentile(values, 50) == pytest.approx(5.5)
    assert percentile(values, 95) == pytest.approx(9.55)
    assert percentile(list(reversed(values)), 95) == pytest.approx(9.55)  # order does not matter


def test_percentile_edge_cases() -> None:
    assert math.isnan(percentile([], 50))
    assert percentile([7.0], 95) == 7.0
    assert percentile([1.0, math.nan, 3.0], 50) == 2.0  # NaN samples are ignored
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_median_and_summarize() -> None:
    assert median([3, 1, 2]) == 2
    summary = summarize([10.0, 20.0, 30.0, 40.0])
    assert summary["n"] == 4
    assert summary["p50"] == pytest.approx(25.0)
    assert summary["mean"] == pytest.approx(25.0)
    assert (summary["min"], summary["max"]) == (10.0, 40.0)
    empty = summarize([])
    assert empty["n"] == 0 and math.isnan(empty["p50"])


def test_ratio_and_met() -> None:
    assert ratio(10, 20) == 0.5
    assert math.isnan(ratio(10, 0))
    assert math.isnan(ratio(None, 3))
    assert math.isnan(ratio(1, math.nan))
    assert met(1.25, 1.25) is True
    assert met(1.26, 1.25) is False
    assert met(None, 1.0) is None
    assert met(math.nan, 1.0) is None
    assert finite(1.5) and finite(0) and not finite(math.nan) and not finite(None) and not finite(True)


def _results(ask_p50: float, peer_p50: float) -> dict:
    return {
        "ingest": {"bundled": {"paragraphs": 55, "seconds": 2.0, "floor_s": 1.0, "paragraphs_per_s": 27.5}},
        "query": {
            "retrieve": {"p50": 10.0, "p95": 20.0},
            "ask": {"p50": ask_p50, "p95": 40.0},
            "peer_retrieve": {"p50": peer_p50, "p95": 50.0},
        },
        "reader": {
            "passages_per_question": 5.0,
            "reader": {"p50": 25.0, "p95": 40.0},
            "peer_reader": {"p50": 50.0, "p95": 80.0},
            "reader_other": {"p50": 45.0, "p95": 70.0},
            "runtime": "onnx fp32",
            "runtime_other": "onnx int8",
            "agreement": 0.9,
            "agreement_other": 1.0,
        },
        "cold_start": {"ours_s": 4.0, "peer_s": 8.0},
        "server": {
            "memory": {"questions": 100, "peak_rss_mb": 650.0},
            "concurrency": {
                "clients": 8,
                "per_client": 25,
                "throughput_qps": 40.0,
                "p50_ms": 100.0,
                "p95_ms": 450.0,
                "errors": 0,
            },
        },
    }


def test_targets_judge_every_point() -> None:
    rows = {(r.section.split(" (")[0], r.metric): r for r in build_rows(_results(ask_p50=20.0, peer_p50=30.0))}
    ingest = rows[("ingest bundled", "ingest time")]
    assert ingest.ratio == 2.0 and ingest.met is False
    ask = rows[("query", "ask p50")]
    assert ask.ratio == pytest.approx(20 / 30) and ask.met is True
    read = rows[("reader", "read p50")]
    assert read.ratio == pytest.approx(0.5) and read.met is True  # 25 ms <= 30 ms and 0.5x the peer <= 1x
    assert rows[("reader", "same answer as the peer")].met is False  # 0.9 < 0.95
    assert rows[("reader, other runtime", "same answer as the peer")].met is True
    assert rows[("reader, other runtime", "read p50")].ratio == pytest.approx(0.9)
    assert rows[("cold start", "`cited ask` to first answer")].met is True
    assert rows[("serve", "peak RSS after 100 asks")].met is True
    assert rows[("serve", "8×25 p95")].met is False
    assert rows[("serve", "8×25 errors")].met is True


def test_ask_target_is_absolute_and_the_reader_target_needs_both_limits() -> None:
    ask = next(r for r in build_rows(_results(ask_p50=49.0, peer_p50=10.0)) if r.metric == "ask p50")
    assert ask.met is True  # 49 ms <= 50 ms, however fast the peer's bare retrieval is
    slow = next(r for r in build_rows(_results(ask_p50=51.0, peer_p50=100.0)) if r.metric == "ask p50")
    assert slow.met is False
    results = _results(ask_p50=20.0, peer_p50=30.0)
    results["reader"]["peer_reader"]["p50"] = 20.0
    read = next(r for r in build_rows(results) if r.metric == "read p50")
    assert read.met is False  # 25 ms <= 30 ms, but 1.25x the peer


def test_missing_sections_give_no_rows_and_unknown_verdicts() -> None:
    assert build_rows({}) == []
    rows = build_rows({"cold_start": {"ours_s": None, "peer_s": 8.0}})
    assert rows[0].met is None and math.isnan(rows[0].ratio or math.nan)


def test_fmt() -> None:
    assert fmt(None) == "n/a" and fmt(math.nan) == "n/a"
    assert fmt(1234.5) == "1,234" or fmt(1234.5) == "1,235"
    assert fmt(12.34) == "12.3" and fmt(0.1234) == "0.12" and fmt(3) == "3"


class _Thing:
    def work(self, x: int) -> int:
        time.sleep(0.01)
        return x * 2


def _module_level(x: int) -> int:
    return x + 1


def test_probes_time_calls_and_restore_everything() -> None:
    import sys

    module = sys.modules[__name__]
    thing = _Thing()
    original_method = _Thing.__dict__["work"]
    original_function = module._module_level
    with probes.probing([probes.Probe(_Thing, "work", "work"), probes.Probe(module, "_module_level", "fn")]) as timings:
        assert thing.work(2) == 4
        assert module._module_level(1) == 2
    assert timings.calls == {"work": 1, "fn": 1}
    assert timings.seconds["work"] >= 0.009
    assert _Thing.__dict__["work"] is original_method
    assert module._module_level is original_function


class _WithClassMethod:
    @classmethod
    def make(cls) -> str:
        return cls.__name__

    @staticmethod
    def plain() -> int:
        return 1


def test_probes_handle_class_and_static_methods() -> None:
    raw_make = _WithClassMethod.__dict__["make"]
    with probes.probing(
        [probes.Probe(_WithClassMethod, "make", "make"), probes.Probe(_WithClassMethod, "plain", "plain")]
    ) as timings:
        assert _WithClassMethod.make() == "_WithClassMethod"
        assert _WithClassMethod.plain() == 1
    assert timings.calls == {"make": 1, "plain": 1}
    assert _WithClassMethod.__dict__["make"] is raw_make


def test_probes_on_an_instance_are_removed_afterwards() -> None:
    thing = _Thing()
    with probes.probing([probes.Probe(thing, "work", "w")]) as timings:
        thing.work(1)
    assert "work" not in vars(thing)
    assert timings.calls["w"] == 1


def test_parse_importtime() -> None:
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       100 |        100 |   _io",
            "import time:      2000 |    1500000 |     torch",
            "import time:       500 |    2000000 |   sentence_transformers",
            "import time:       300 |    2100000 | index.embedder",
            "import time:        50 |      60000 | numpy",
            "some other line",
        ]
    )
    parsed = parse_importtime(stderr)
    assert parsed["heavy_ms"]["torch"] == 1500.0
    assert parsed["heavy_ms"]["sentence_transformers"] == 2000.0
    assert list(parsed["top_level_ms"]) == ["index.embedder", "numpy"]
    assert parsed["total_top_level_ms"] == pytest.approx(2160.0)
    assert parsed["self_ms_by_package"]["torch"] == 2.0 and parsed["self_ms_by_package"]["_io"] == 0.1


def test_png_and_markdown_from_rows(tmp_path: Path) -> None:
    results = _results(ask_p50=20.0, peer_p50=30.0)
    rows = build_rows(results)
    path = tmp_path / "bench.png"
    write_png(rows, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = markdown(rows, {**results, "machine": {"cpu_count": 2, "load_average": [1.0]}})
    assert "| query (warm) | ask p50 |" in text and "**NO**" in text
