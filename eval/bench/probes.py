"""Timing probes: wrap named functions or methods for a while and add up the time spent in each.

They measure the real code path (nothing is re-implemented), and everything is restored on exit. Used to split
an ingest into parse / embed / Chroma / snapshot, and one question into embed / Chroma / BM25 /
answer.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Probe:
    owner: Any  # a module, class or instance
    attr: str
    label: str


@dataclass
class Timings:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def snapshot(self) -> dict[str, float]:
        return dict(self.seconds)


def _timed(fn: Callable[..., Any], label: str, timings: Timings) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timings.seconds[label] += time.perf_counter() - t0
            timings.calls[label] += 1

    return wrapper


@contextlib.contextmanager
def probing(probes: list[Probe]) -> Iterator[Timings]:
    """Within the block, every probed callable adds its wall time to `timings.seconds[label]`.

    A label used by nested probes counts both (keep labels of nested calls distinct). Instance attributes are
    set and deleted again; module and class attributes are restored to the original object.
    """
    timings = Timings()
    restore: list[tuple[Any, str, Any, bool]] = []
    try:
        for probe in probes:
            had_own = probe.attr in getattr(probe.owner, "__dict__", {})
            original = getattr(probe.owner, probe.attr)
            raw = probe.owner.__dict__[probe.attr] if had_own else original
            wrapped: Any
            if isinstance(raw, classmethod):
                wrapped = classmethod(_timed(raw.__func__, probe.label, timings))
            elif isinstance(raw, staticmethod):
                wrapped = staticmethod(_timed(raw.__func__, probe.label, timings))
            else:
                wrapped = _timed(raw, probe.label, timings)
            setattr(probe.owner, probe.attr, wrapped)
            restore.append((probe.owner, probe.attr, raw, had_own))
        yield timings
    finally:
        for owner, attr, raw, had_own in reversed(restore):
            if had_own:
                setattr(owner, attr, raw)
            else:
                delattr(owner, attr)
