"""The targets of the tracked issue, and the rows of the benchmark table (ours beside the peer or floor).

Targets are reported, never asserted: `met` is True, False, or None when the measurement is missing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from eval.bench.stats import met, ratio

# Issue #13's targets once the answer is read by the trained reader (retrieve + read + compose).
ASK_P50_MS = 50.0
INGEST_VS_FLOOR = 1.25
COLD_START_S = 5.0
RSS_MB = 800.0
LOAD_P95_MS = 400.0
READER_P50_MS = 30.0
READER_VS_PEER = 1.0
READER_AGREEMENT = 0.95


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
    rows: list[Row] = []
    models = results.get("models", {})
    if models:
        rows.append(
            Row(
                "setup",
                "embedding model load",
                "s",
                models.get("cited_load_s"),
                models.get("floor_load_s"),
                "sentence-transformers",
            )
        )
    for name, ing in results.get("ingest", {}).items():
        r = ratio(ing.get("seconds"), ing.get("floor_s"))
        section = f"ingest {name} ({ing.get('paragraphs')} ¶)"
        rows.append(
            Row(
                section,
                "ingest time",
                "s",
                ing.get("seconds"),
                ing.get("floor_s"),
                "embed floor",
                r,
                f"≤ {INGEST_VS_FLOOR}× floor",
                met(r, INGEST_VS_FLOOR),
            )
        )
        rows.append(
            Row(
                section,
                "ingest rate",
                "¶/s",
                ing.get("paragraphs_per_s"),
                ing.get("floor_paragraphs_per_s"),
                "embed floor",
                ratio(ing.get("paragraphs_per_s"), ing.get("floor_paragraphs_per_s")),
            )
        )
    q = results.get("query")
    if q:
        peer50, peer95 = _get(q, "peer_retrieve", "p50"), _get(q, "peer_retrieve", "p95")
        rows.append(
            Row(
                "query (warm)",
                "retrieve p50",
                "ms",
                _get(q, "retrieve", "p50"),
                peer50,
                "peer retrieve",
                ratio(_get(q, "retrieve", "p50"), peer50),
            )
        )
        rows.append(
            Row(
                "query (warm)",
                "retrieve p95",
                "ms",
                _get(q, "retrieve", "p95"),
                peer95,
                "peer retrieve",
                ratio(_get(q, "retrieve", "p95"), peer95),
            )
        )
        ask50 = _get(q, "ask", "p50")
        r = ratio(ask50, peer50)
        rows.append(
            Row(
                "query (warm)",
                "ask p50",
                "ms",
                ask50,
                peer50,
                "peer retrieve",
                r,
                f"≤ {ASK_P50_MS:g} ms",
                met(ask50, ASK_P50_MS),
            )
        )
        tuned = _get(q, "peer_retrieve_1_thread", "p50")
        if tuned is not None:
            rows.append(
                Row(
                    "query (warm)",
                    "ask p50 vs peer on 1 thread",
                    "ms",
                    ask50,
                    tuned,
                    "peer, 1 thread",
                    ratio(ask50, tuned),
                )
            )
        rows.append(
            Row(
                "query (warm)",
                "ask p95",
                "ms",
                _get(q, "ask", "p95"),
                peer95,
                "peer retrieve",
                ratio(_get(q, "ask", "p95"), peer95),
            )
        )
    rows += _reader_rows(results.get("reader"))
    cold = results.get("cold_start")
    if cold:
        rows.append(
            Row(
                "cold start",
                "`cited ask` to first answer",
                "s",
                cold.get("ours_s"),
                cold.get("peer_s"),
                "peer script",
                ratio(cold.get("ours_s"), cold.get("peer_s")),
                f"≤ {COLD_START_S:g} s",
                met(cold.get("ours_s"), COLD_START_S),
            )
        )
    server = results.get("server")
    if server:
        rss = _get(server, "memory", "peak_rss_mb")
        n = _get(server, "memory", "questions")
        rows.append(
            Row(
                "serve",
                f"peak RSS after {n} asks",
                "MB",
                rss,
                target=f"≤ {RSS_MB:g} MB",
                met=met(rss, RSS_MB),
            )
        )
        load = server.get("concurrency", {})
        label = f"{load.get('clients')}×{load.get('per_client')}"
        rows.append(Row("serve", f"{label} throughput", "q/s", load.get("throughput_qps")))
        rows.append(Row("serve", f"{label} p50", "ms", load.get("p50_ms")))
        rows.append(
            Row(
                "serve",
                f"{label} p95",
                "ms",
                load.get("p95_ms"),
                target=f"≤ {LOAD_P95_MS:g} ms",
                met=met(load.get("p95_ms"), LOAD_P95_MS),
            )
        )
        errors = load.get("errors")
        rows.append(
            Row(
                "serve",
                f"{label} errors",
                "",
                errors,
                target="= 0",
                met=None if errors is None else errors == 0,
            )
        )
    return rows


def _reader_rows(reader: dict[str, Any] | None) -> list[Row]:
    """Our reader beside Haystack's on the same passages and weights (see eval/bench/reader_bench.py)."""
    if not reader:
        return []
    section = f"reader ({reader.get('passages_per_question', 0):.1f} passages)"
    ours50, peer50 = _get(reader, "reader", "p50"), _get(reader, "peer_reader", "p50")
    r = ratio(ours50, peer50)
    agreement = reader.get("agreement")
    return [
        Row(
            section,
            "read p50",
            "ms",
            ours50,
            peer50,
            "Haystack reader",
            r,
            f"≤ {READER_P50_MS:g} ms and ≤ {READER_VS_PEER:g}× peer",
            _both(met(ours50, READER_P50_MS), met(r, READER_VS_PEER)),
        ),
        Row(section, "read p95", "ms", _get(reader, "reader", "p95"), _get(reader, "peer_reader", "p95"), "Haystack"),
        Row(
            section,
            "same answer as the peer",
            "share",
            agreement,
            target=f"≥ {READER_AGREEMENT:g}",
            met=None if agreement is None else agreement >= READER_AGREEMENT,
        ),
    ]
