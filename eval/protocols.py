"""What eval needs from qa, as structural types: eval is type-checked and unit-tested without loading qa."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from index.models import Answer, Passage


class RetrieverLike(Protocol):
    def retrieve(
        self, query: str, k: int | None = None, filters: dict[str, Any] | None = None, *, as_of: date | None = None
    ) -> list[Passage]: ...


class AnswererLike(Protocol):
    # list[Any]: qa's Assistant also takes Turns and Answers as history; eval passes strings.
    def ask(
        self, question: str, history: list[Any] | None = None, k: int | None = None, *, as_of: date | None = None
    ) -> Answer: ...
