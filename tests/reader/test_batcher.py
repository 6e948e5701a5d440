"""Shared forward passes: each caller gets exactly its own results, waiting callers share one pass, errors reach
every caller of the failed pass, and a pass never exceeds its size."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from qa.reader.batcher import Batcher

pytestmark = pytest.mark.unit


class SlowModel:
    """Doubles numbers; each pass takes a while, so callers that arrive meanwhile queue up."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.passes: list[list[int]] = []
        self.fail_on = fail_on
        self.lock = threading.Lock()

    def __call__(self, items: list[int]) -> list[int]:
        with self.lock:
            self.passes.append(list(items))
        time.sleep(0.05)
        if self.fail_on is not None and self.fail_on in items:
            raise RuntimeError(f"bad input {self.fail_on}")
        return [2 * x for x in items]


def test_a_lone_caller_runs_at_once_with_its_own_results() -> None:
    model = SlowModel()
    assert Batcher(model, max_items=8)([1, 2, 3]) == [2, 4, 6]
    assert model.passes == [[1, 2, 3]]


def test_concurrent_callers_share_passes_and_get_their_own_results() -> None:
    model = SlowModel()
    batcher = Batcher(model, max_items=64)
    inputs = [[10 * c + j for j in range(3)] for c in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        outputs = list(pool.map(batcher, inputs))
    assert outputs == [[2 * x for x in items] for items in inputs]
    assert len(model.passes) < 12  # callers that waited were served together
    assert sorted(x for p in model.passes for x in p) == sorted(x for items in inputs for x in items)


def test_a_pass_never_exceeds_its_size_but_a_big_caller_still_runs() -> None:
    model = SlowModel()
    batcher = Batcher(model, max_items=4)
    with ThreadPoolExecutor(max_workers=6) as pool:
        outputs = list(pool.map(batcher, [[c, c] for c in range(5)] + [list(range(100, 110))]))
    assert outputs[-1] == [2 * x for x in range(100, 110)]
    assert all(len(p) <= 4 for p in model.passes if 100 not in p)


def test_an_error_reaches_every_caller_of_its_pass_and_the_batcher_recovers() -> None:
    model = SlowModel(fail_on=7)
    batcher = Batcher(model, max_items=64)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(batcher, [x]) for x in (1, 7, 3, 4)]
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result())
            except RuntimeError as err:
                outcomes.append(str(err))
    assert "bad input 7" in outcomes
    failed_pass = next(p for p in model.passes if 7 in p)
    for x, outcome in zip((1, 7, 3, 4), outcomes, strict=True):
        assert outcome == ("bad input 7" if x in failed_pass else [2 * x])
    assert batcher([5]) == [10]
