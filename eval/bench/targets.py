"""The benchmark's targets, and the rows of the benchmark table (ours beside the peer or floor).

Targets are reported, never asserted: `met` is True, False, or None when the measurement is missing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from eval.bench.stats import met, ratio

# The targets, for an answer read by the trained reader (retrieve + read + compose).
ASK_P50_MS = 50.0
INGEST_VS_FLOOR = 1.25
COLD_START_S = 5.0
RSS_MB = 800.0
LOAD_P95_MS = 400.0
READER_P50_MS = 30.0
READER_VS_PEER = 1.0
READER_AGREEMENT = 0.95

# The scale run's targets (`cited bench --scale`, issue 15).
SCALE_INGEST_S = 480.0
SCALE_INGEST_RSS_MB = 1536.0
SCALE_RETRIEVE_VS_BUNDLED = 1.5
SCALE_OPEN_S = 3.0
SCALE_SERVE_RSS_VS_BUNDLED = 1.3
SCALE_REEMBEDDED_SHARE = 0.10

QUERY_SECTION = "query (warm)"
SERVE_SECTION = "serve"


@dataclass
class Row:
    section: str
    metric: str
    unit: str
    ours: float | None
    other: float | None = None
    other_label: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _both(*checks: bool | None) -> bool | None:
    if any(c is False for c in checks):
        return False
    if any(c is None for c in checks):
        return None
    return True


def build_rows(results: dict[str, Any]) -> list[Row]:
    """The table, section by section; a section missing from `results` gives no rows."""
    return [
        *_setup_rows(results.get("models", {})),
        *_ingest_rows(results.get("ingest", {})),
        *_query_rows(results.get("query")),
        *_reader_rows(results.get("reader")),
        *_cold_start_rows(results.get("cold_start")),
        *_serve_rows(results.get("server")),
        *_scale_rows(results.get("scale")),
    ]


def _scale_rows(scale: dict[str, Any] | None) -> list[Row]:
    """The scale corpus beside the floor (ingest) and beside the bundled index (latency, memory, opening)."""
    if not scale:
        return []
    section = f"scale ({scale['ingest']['paragraphs']} ¶)"
    ing, floor, kill = scale["ingest"], scale["floor"], scale["kill_resume"]
    latency, bundled = scale["latency"]["scale"], scale["latency"]["bundled"]
    serve = (scale["serve"]["scale"]["peak_rss_mb"], scale["serve"]["bundled"]["peak_rss_mb"])
    opened = scale["open"]["scale"]["seconds"]
    retrieve_ratio = ratio(latency["retrieve"]["p50"], bundled["retrieve"]["p50"])
    rows = [
        Row(section, "ingest time", "s", ing["seconds"], floor["seconds_for_all"], "embed floor",
            ratio(ing["seconds"], floor["seconds_for_all"]), f"≤ {SCALE_INGEST_S:.0f} s",
            met(ing["seconds"], SCALE_INGEST_S)),
        Row(section, "ingest rate", "¶/s", ing["paragraphs_per_s"], floor["paragraphs_per_s"], "embed floor",
            ratio(ing["paragraphs_per_s"], floor["paragraphs_per_s"])),
        Row(section, "ingest peak RSS", "MB", ing["peak_rss_mb"], target=f"≤ {SCALE_INGEST_RSS_MB:.0f} MB",
            met=met(ing["peak_rss_mb"], SCALE_INGEST_RSS_MB)),
        Row(section, "retrieve p50", "ms", latency["retrieve"]["p50"], bundled["retrieve"]["p50"], "bundled",
            retrieve_ratio, f"≤ {SCALE_RETRIEVE_VS_BUNDLED}× bundled", met(retrieve_ratio, SCALE_RETRIEVE_VS_BUNDLED)),
        Row(section, "retrieve p95", "ms", latency["retrieve"]["p95"], bundled["retrieve"]["p95"], "bundled",
            ratio(latency["retrieve"]["p95"], bundled["retrieve"]["p95"])),
        Row(section, "ask p50", "ms", latency["ask"]["p50"], bundled["ask"]["p50"], "bundled",
            ratio(latency["ask"]["p50"], bundled["ask"]["p50"])),
        Row(section, "ask p95", "ms", latency["ask"]["p95"], bundled["ask"]["p95"], "bundled",
            ratio(latency["ask"]["p95"], bundled["ask"]["p95"])),
        Row(section, "open the index", "s", opened, scale["open"]["bundled"]["seconds"], "bundled",
            ratio(opened, scale["open"]["bundled"]["seconds"]), f"≤ {SCALE_OPEN_S:.0f} s", met(opened, SCALE_OPEN_S)),
        Row(section, "serve RSS", "MB", serve[0], serve[1], "bundled", ratio(*serve),
            f"≤ {SCALE_SERVE_RSS_VS_BUNDLED}× bundled", met(ratio(*serve), SCALE_SERVE_RSS_VS_BUNDLED)),
        Row(section, "re-embedded after kill -9", "share", kill["embedded_again_share"],
            target=f"≤ {SCALE_REEMBEDDED_SHARE}", met=met(kill["embedded_again_share"], SCALE_REEMBEDDED_SHARE)),
        Row(section, "old index errors during the killed ingest", "", kill["old_index_error_count"],
            target="0", met=kill["old_index_error_count"] == 0 and kill["old_index_answers"] > 0),
    ]  # fmt: skip
    return rows


def _setup_rows(models: dict[str, Any] | None) -> list[Row]:
    """Loading the embedding model, ours beside sentence-transformers on its own."""
    if not models:
        return []
    return [
        Row(
            "setup",
            "embedding model load",
            "s",
            models.get("cited_load_s"),
            models.get("floor_load_s"),
            "sentence-transformers",
        )
    ]


def _ingest_rows(ingests: dict[str, dict[str, Any]]) -> list[Row]:
    """Time and rate of each ingested corpus, beside embedding the same texts alone (the floor)."""
    rows: list[Row] = []
    for name, ing in ingests.items():
        section = f"ingest {name} ({ing.get('paragraphs')} ¶)"
        seconds, floor_s = ing.get("seconds"), ing.get("floor_s")
        rate, floor_rate = ing.get("paragraphs_per_s"), ing.get("floor_paragraphs_per_s")
        time_ratio = ratio(seconds, floor_s)
        rows.append(
            Row(
                section,
                "ingest time",
                "s",
                seconds,
                floor_s,
                "embed floor",
                time_ratio,
                f"≤ {INGEST_VS_FLOOR}× floor",
                met(time_ratio, INGEST_VS_FLOOR),
            )
        )
        rows.append(Row(section, "ingest rate", "¶/s", rate, floor_rate, "embed floor", ratio(rate, floor_rate)))
    return rows


def _beside_peer_retrieve(query: dict[str, Any], stage: str, percentile: str) -> Row:
    """Our `stage` ("retrieve" or "ask") at `percentile` beside the peer's retrieval at the same percentile."""
    ours, peer = _get(query, stage, percentile), _get(query, "peer_retrieve", percentile)
    return Row(QUERY_SECTION, f"{stage} {percentile}", "ms", ours, peer, "peer retrieve", ratio(ours, peer))


def _query_rows(query: dict[str, Any] | None) -> list[Row]:
    """Warm retrieve and ask latencies; only the ask p50 has a target."""
    if not query:
        return []
    ask50 = _get(query, "ask", "p50")
    ask50_row = replace(
        _beside_peer_retrieve(query, "ask", "p50"), target=f"≤ {ASK_P50_MS:g} ms", met=met(ask50, ASK_P50_MS)
    )
    rows = [_beside_peer_retrieve(query, "retrieve", "p50"), _beside_peer_retrieve(query, "retrieve", "p95"), ask50_row]
    peer_one_thread = _get(query, "peer_retrieve_1_thread", "p50")
    if peer_one_thread is not None:
        rows.append(
            Row(
                QUERY_SECTION,
                "ask p50 vs peer on 1 thread",
                "ms",
                ask50,
                peer_one_thread,
                "peer, 1 thread",
                ratio(ask50, peer_one_thread),
            )
        )
    rows.append(_beside_peer_retrieve(query, "ask", "p95"))
    return rows


def _reader_rows(reader: dict[str, Any] | None) -> list[Row]:
    """Our reader beside Haystack's on the same passages and weights (see eval/bench/reader_bench.py), in the
    configured runtime and in the other ONNX precision."""
    if not reader:
        return []
    passages = f"{reader.get('passages_per_question', 0):.1f} passages"
    rows = []
    for key, section, agreement in (
        ("reader", f"reader ({passages}, {reader.get('runtime', '?')})", "agreement"),
        ("reader_other", f"reader, other runtime ({passages}, {reader.get('runtime_other', '?')})", "agreement_other"),
    ):
        ours50, peer50 = _get(reader, key, "p50"), _get(reader, "peer_reader", "p50")
        r = ratio(ours50, peer50)
        limits = f"≤ {READER_P50_MS:g} ms and ≤ {READER_VS_PEER:g}× peer"
        ours95, peer95 = _get(reader, key, "p95"), _get(reader, "peer_reader", "p95")
        rows += [
            Row(
                section,
                "read p50",
                "ms",
                ours50,
                peer50,
                "Haystack reader",
                r,
                limits,
                _both(met(ours50, READER_P50_MS), met(r, READER_VS_PEER)),
            ),
            Row(section, "read p95", "ms", ours95, peer95, "Haystack"),
            _agreement_row(section, "same answer as the peer", reader.get(agreement)),
        ]
    return rows


def _agreement_row(section: str, metric: str, agreement: float | None) -> Row:
    return Row(
        section,
        metric,
        "share",
        agreement,
        target=f"≥ {READER_AGREEMENT:g}",
        met=None if agreement is None else agreement >= READER_AGREEMENT,
    )


def _cold_start_rows(cold: dict[str, Any] | None) -> list[Row]:
    """A fresh `cited ask` process to its first answer, beside the peer's script."""
    if not cold:
        return []
    ours, peer = cold.get("ours_s"), cold.get("peer_s")
    return [
        Row(
            "cold start",
            "`cited ask` to first answer",
            "s",
            ours,
            peer,
            "peer script",
            ratio(ours, peer),
            f"≤ {COLD_START_S:g} s",
            met(ours, COLD_START_S),
        )
    ]


def _serve_rows(server: dict[str, Any] | None) -> list[Row]:
    """`cited serve`: its peak memory after a run of asks, then throughput, latency and errors under load."""
    if not server:
        return []
    rss = _get(server, "memory", "peak_rss_mb")
    asks = _get(server, "memory", "questions")
    target = f"≤ {RSS_MB:g} MB"
    memory = Row(SERVE_SECTION, f"peak RSS after {asks} asks", "MB", rss, target=target, met=met(rss, RSS_MB))
    return [memory, *_load_rows(server.get("concurrency", {}))]


def _load_rows(load: dict[str, Any]) -> list[Row]:
    """Concurrent clients against `cited serve`: throughput, p50, p95 (target) and errors (target)."""
    label = f"{load.get('clients')}×{load.get('per_client')}"
    p95, errors = load.get("p95_ms"), load.get("errors")
    return [
        Row(SERVE_SECTION, f"{label} throughput", "q/s", load.get("throughput_qps")),
        Row(SERVE_SECTION, f"{label} p50", "ms", load.get("p50_ms")),
        Row(SERVE_SECTION, f"{label} p95", "ms", p95, target=f"≤ {LOAD_P95_MS:g} ms", met=met(p95, LOAD_P95_MS)),
        Row(SERVE_SECTION, f"{label} errors", "", errors, target="= 0", met=None if errors is None else errors == 0),
    ]
