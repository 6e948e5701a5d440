"""Small, dependency-free statistics for the benchmark: percentiles, summaries, ratios, target checks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between ranks (numpy's default); NaN if empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {q}")
    data = sorted(float(v) for v in values if not math.isnan(float(v)))
    if not data:
        return math.nan
    pos = (len(data) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def summarize(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean, min, max and count of a sample (latencies in ms, say)."""
    clean = [float(v) for v in values if not math.isnan(float(v))]
    return {
        "n": len(clean),
        "p50": percentile(clean, 50),
        "p95": percentile(clean, 95),
        "mean": sum(clean) / len(clean) if clean else math.nan,
        "min": min(clean) if clean else math.nan,
        "max": max(clean) if clean else math.nan,
    }


def ratio(ours: float | None, other: float | None) -> float:
    """ours / other; NaN when either is missing, not a number, or other is not positive."""
    if ours is None or other is None:
        return math.nan
    a, b = float(ours), float(other)
    if math.isnan(a) or math.isnan(b) or b <= 0:
        return math.nan
    return a / b


def met(value: float | None, limit: float) -> bool | None:
    """value <= limit; None (unknown) when the value is missing."""
    if value is None or math.isnan(float(value)):
        return None
    return float(value) <= limit


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
