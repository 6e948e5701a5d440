"""The service every interface calls: question (+ history) in, cited Answer out.

The CLI, the HTTP API, the Gradio chat and the evaluation all go through `Assistant.ask` / `Assistant.stream`, so
they cannot disagree about what an answer is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

from index.limits import is_blank
from index.models import Answer
from index.settings import Settings, get_settings
from qa.extractive import ExtractiveAnswerer
from qa.followup import Query, Turn, needs_context, rewrite, turn_kind
from qa.llm import LLMAnswerer, LLMUnavailableError
from qa.retriever import QueryError, Retriever
from qa.timeframe import Window

log = logging.getLogger(__name__)

TURN_CACHE_SIZE = 1024
HistoryItem = str | Turn | dict[str, Any] | Answer


class Assistant:
    """`Assistant.from_defaults().ask("Who retook eastern Mosul?")` → an Answer with verified citations."""

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        llm: LLMAnswerer | None = None,
        extractive: ExtractiveAnswerer | None = None,
    ) -> None:
        if not isinstance(retriever, Retriever):
            raise TypeError("retriever must be a qa.Retriever")
        self.settings = settings
        self.retriever = retriever
        self.extractive = extractive or ExtractiveAnswerer.from_defaults(settings)
        self.llm = llm
        self._turn_cache: dict[tuple[str, ...], Turn] = {}

    @classmethod
    def from_defaults(
        cls, settings: Settings | None = None, answerer: str | None = None, retriever: Retriever | None = None
    ) -> Assistant:
        settings = settings or get_settings()
        if answerer is not None and answerer != settings.answerer:
            settings = settings.model_copy(update={"answerer": answerer})
            Settings.model_validate(settings.model_dump())  # refuse unknown answerer names early
        retriever = retriever or Retriever.from_defaults(settings)
        llm = LLMAnswerer(settings) if settings.answerer != "extractive" else None
        return cls(settings, retriever, llm)

    @property
    def answerer_name(self) -> str:
        return self.llm.name if self.llm else self.extractive.name

    # --- input ---------------------------------------------------------------------------------------------------
    def _validate(self, question: str) -> tuple[str, list[str]]:
        if is_blank(question):
            raise QueryError("the question is empty (or only invisible characters); type a question about the articles")
        question = " ".join(question.split())
        limit = self.settings.max_question_chars
        notices = []
        if len(question) > limit:
            notices.append(
                f"Your question was {len(question):,} characters long; only the first {limit:,} were used "
                "(CITED_MAX_QUESTION_CHARS)."
            )
            question = question[:limit]
        return question, notices

    def _turns(self, history: list[HistoryItem] | None) -> list[Turn]:
        """History as Turns with short answers; plain strings are answered again (cheap, and memoised)."""
        items = list(history or [])[-self.settings.max_history_turns :] if self.settings.max_history_turns else []
        turns: list[Turn] = []
        for item in items:
            if isinstance(item, Turn):
                turns.append(item)
            elif isinstance(item, Answer):
                understood = Query(item.standalone_question or item.question, item.context)
                turns.append(Turn(item.question, item.short_answer, turn_kind(item.question), understood))
            elif isinstance(item, dict):
                q = str(item.get("question") or item.get("content") or "")
                turns.append(Turn(q, item.get("short_answer"), turn_kind(q)))
            elif not is_blank(item):  # an empty earlier turn carries nothing
                key = tuple(t.question for t in turns) + (str(item),)
                if key not in self._turn_cache:
                    if len(self._turn_cache) >= TURN_CACHE_SIZE:  # a long-running server must not grow forever
                        self._turn_cache.clear()
                    text, _ = self._validate(str(item))
                    standalone = rewrite(text, turns)
                    prior = self._extractive(text, standalone, None, None)
                    self._turn_cache[key] = Turn(text, prior.short_answer, turn_kind(text), standalone)
                turns.append(self._turn_cache[key])
        return [t for t in turns if t.question.strip()]

    def standalone(self, question: str, turns: list[Turn]) -> Query:
        if not turns or not needs_context(question):
            return Query(question)
        if self.llm is not None:
            try:
                return Query(self.llm.condense(question, [t.question for t in turns]))
            except LLMUnavailableError as err:
                log.warning("%s; using the rule-based rewrite", err)
        return rewrite(question, turns)

    # --- answering ---------------------------------------------------------------------------------------------
    def _extractive(
        self, asked: str, query: Query, k: int | None, filters: dict[str, Any] | None, as_of: date | None = None
    ) -> Answer:
        t0 = time.perf_counter()
        result = self.retriever.search(query.search_text, k, filters, as_of)
        t1 = time.perf_counter()
        answer = self.extractive.answer(query.text, result.passages, asked, result.window)
        t2 = time.perf_counter()
        answer.standalone_question, answer.context = query.text, query.context
        answer.timings = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}
        return answer

    def ask(
        self,
        question: str,
        history: list[HistoryItem] | None = None,
        k: int | None = None,
        filters: dict[str, Any] | None = None,
        as_of: date | None = None,
    ) -> Answer:
        """The final Answer of `stream`. `as_of`: the day "this week" and "yesterday" are counted from (default:
        the newest article date in the index, or today); `filters` may hold `since`/`until` article days."""
        answer: Answer | None = None
        for item in self.stream(question, history, k, filters, as_of):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        history: list[HistoryItem] | None = None,
        k: int | None = None,
        filters: dict[str, Any] | None = None,
        as_of: date | None = None,
    ) -> Iterator[str | Answer]:
        """Text as it is produced, then the final, checked Answer (always last)."""
        t_start = time.perf_counter()
        asked, notices = self._validate(question)
        turns = self._turns(history)
        standalone = self.standalone(asked, turns)
        if self.llm is None:
            answer = self._extractive(asked, standalone, k, filters, as_of)
            answer.notices = notices + answer.notices
            yield answer.text
            yield answer
            return
        yield from self._stream_llm(asked, standalone, notices, (k, filters, as_of), t_start)

    def _stream_llm(
        self,
        asked: str,
        query: Query,
        notices: list[str],
        scope: tuple[int | None, dict[str, Any] | None, date | None],
        t_start: float,
    ) -> Iterator[str | Answer]:
        """`scope`: the k, filters and as-of day of the retrieval."""
        assert self.llm is not None
        t0 = time.perf_counter()
        result = self.retriever.search(query.search_text, *scope)
        t1 = time.perf_counter()
        reply = ""
        failure = None
        try:
            for delta in self.llm.stream_text(query.text, result.passages):
                reply += delta
                yield delta
        except LLMUnavailableError as err:
            failure = f"{err}. Showing the extractive answer instead."
        answer = None
        if failure is None:
            answer = self.llm.answer_from_reply(
                asked, reply, result.passages, self.retriever.snapshot, self.retriever.embedder()
            )
            if answer is None:
                failure = (
                    "The LLM's answer could not be verified against the sources; showing the extractive answer instead."
                )
        if answer is None:
            answer = self.extractive.answer(query.text, result.passages, asked, result.window)
            answer.answerer = f"{self.extractive.name} (fallback from {self.llm.name})"
            answer.notices.insert(0, failure or "")
        t2 = time.perf_counter()
        answer.standalone_question, answer.context = query.text, query.context
        answer.notices = notices + [n for n in answer.notices if n] + outside_window_notices(answer, result.window)
        answer.timings = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t_start) * 1000}
        yield answer


def outside_window_notices(answer: Answer, window: Window | None) -> list[str]:
    """A generated answer's sources dated outside the period the question names, one line each."""
    if window is None:
        return []
    return [
        f"Source [{c.n}] was reported on {c.published.isoformat()}, outside {window.describe()}."
        for c in answer.citations
        if c.published is not None and window.distance(c.published) and not answer.refused
    ]
