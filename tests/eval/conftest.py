"""Factories for hand-made paragraphs, passages and answers, so metric tests read as the case they check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from eval.datasets import EvalRecord
from index.models import Answer, Citation, Paragraph, Passage


def _paragraph(pid: str, text: str) -> Paragraph:
    doc_id, _, n = pid.partition("#")
    return Paragraph(id=pid, doc_id=doc_id, n=int(n or 1), text=text, start=0, end=len(text))


def _passages(*items: tuple[str, str]) -> list[Passage]:
    return [Passage(paragraph=_paragraph(pid, text), rank=i, score=1 / i) for i, (pid, text) in enumerate(items, 1)]


def _citation(n: int, pid: str, quote: str = "q") -> Citation:
    return Citation(
        n=n, paragraph_id=pid, doc_id=pid.split("#")[0], quote=quote, start=0, end=len(quote), verified=True
    )


def _answer(
    text: str = "",
    short: str | None = None,
    citations: list[Citation] | None = None,
    passages: list[Passage] | None = None,
    refused: bool = False,
    timings: dict[str, float] | None = None,
    question: str = "q?",
    standalone: str = "",
) -> Answer:
    return Answer(
        question=question,
        standalone_question=standalone,
        text=text,
        short_answer=short,
        citations=citations or [],
        passages=passages or [],
        refused=refused,
        timings=timings if timings is not None else {"retrieve": 10.0, "answer": 5.0, "total": 15.0},
    )


def _record(**fields: Any) -> EvalRecord:
    base: dict[str, Any] = {
        "id": "q1",
        "question": "q?",
        "answers": ["x"],
        "evidence": ["x"],
        "answerable": True,
    }
    return EvalRecord(**{**base, **fields})


@pytest.fixture
def paragraph() -> Callable[[str, str], Paragraph]:
    return _paragraph


@pytest.fixture
def passages() -> Callable[..., list[Passage]]:
    return _passages


@pytest.fixture
def citation() -> Callable[..., Citation]:
    return _citation


@pytest.fixture
def answer() -> Callable[..., Answer]:
    return _answer


@pytest.fixture
def record() -> Callable[..., EvalRecord]:
    return _record


class FakeRetriever:
    """Ranks paragraphs by words shared with the query (ties: corpus order); remembers every call."""

    def __init__(self, items: list[tuple[str, str]], mode: str = "fused") -> None:
        self.items = items
        self.mode = mode
        self.calls: list[tuple[str, int | None]] = []

    def retrieve(
        self, query: str, k: int | None = None, filters: dict[str, Any] | None = None, as_of: Any = None
    ) -> list[Passage]:
        self.calls.append((query, k))
        words = set(query.lower().split())
        order = sorted(self.items, key=lambda item: -len(words & set(item[1].lower().split())))
        if self.mode == "keyword":  # a different but deterministic order, so modes can differ
            order = list(reversed(order))
        return _passages(*order[: k or 5])


class FakeAssistant:
    """Answers with the first passage's text and cites it; rewrites a follow-up by appending its history."""

    def __init__(self, retriever: FakeRetriever) -> None:
        self.retriever = retriever
        self.calls: list[tuple[str, list[str] | None, int | None]] = []

    def ask(self, question: str, history: list[str] | None = None, k: int | None = None, as_of: Any = None) -> Answer:
        self.calls.append((question, history, k))
        standalone = " ".join([*(history or []), question])
        found = self.retriever.retrieve(standalone, k=k)
        if not found or "unknowable" in question:
            return _answer(text="The articles don't say.", refused=True, question=question, standalone=standalone)
        top = found[0].paragraph
        return _answer(
            text=f"{top.text} [1]",
            short=top.text.split()[0],
            citations=[_citation(1, top.id, top.text)],
            passages=found,
            question=question,
            standalone=standalone,
        )


@pytest.fixture
def fake_retriever() -> type[FakeRetriever]:
    return FakeRetriever


@pytest.fixture
def fake_assistant() -> type[FakeAssistant]:
    return FakeAssistant
