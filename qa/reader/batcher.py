"""Shared forward passes for concurrent callers of one model (dynamic batching, as inference servers do it).

A server answers several questions at once, and each would run its own forward pass of the reader, one after the
other behind the model's lock. Here whoever arrives while a pass runs waits, and the next pass takes every waiting
caller's inputs at once (up to `max_items`), in length order so little is padded. One caller alone runs at once,
with no added delay; under load, eight questions cost about one larger pass instead of eight small ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Ticket(Generic[Item, Result]):
    items: Sequence[Item]
    results: list[Result] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False


class Batcher(Generic[Item, Result]):
    """`batcher(items)` → `run(items)`'s results for them, sharing calls of `run` with concurrent callers."""

    def __init__(self, run: Callable[[list[Item]], list[Result]], max_items: int) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self._run, self._max = run, max_items
        self._cond = threading.Condition()
        self._queue: list[_Ticket[Item, Result]] = []
        self._busy = False

    def __call__(self, items: Sequence[Item]) -> list[Result]:
        ticket: _Ticket[Item, Result] = _Ticket(items)
        with self._cond:
            self._queue.append(ticket)
        while True:
            batch = self._wait_for_turn(ticket)
            if batch is None:
                break
            self._run_batch(batch)
        if ticket.error is not None:
            raise ticket.error
        return ticket.results

    def _wait_for_turn(self, ticket: _Ticket[Item, Result]) -> list[_Ticket[Item, Result]] | None:
        """None once `ticket` is served; otherwise the batch this caller is to run (the model is free)."""
        with self._cond:
            while not ticket.done and self._busy:
                self._cond.wait()
            if ticket.done:
                return None
            self._busy = True
            batch: list[_Ticket[Item, Result]] = []
            size = 0
            while self._queue and (not batch or size + len(self._queue[0].items) <= self._max):
                size += len(self._queue[0].items)
                batch.append(self._queue.pop(0))
            return batch

    def _run_batch(self, batch: list[_Ticket[Item, Result]]) -> None:
        items = [item for ticket in batch for item in ticket.items]
        try:
            results, error = self._run(items), None
        except BaseException as err:  # every caller of the pass gets the error, none is left waiting
            results, error = [], err
        with self._cond:
            offset = 0
            for ticket in batch:
                ticket.results = results[offset : offset + len(ticket.items)] if error is None else []
                ticket.error, ticket.done = error, True
                offset += len(ticket.items)
            self._busy = False
            self._cond.notify_all()
