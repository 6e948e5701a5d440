"""The chat's handlers without a browser: streaming order, history passing, errors, citation lookup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest

from index.models import Answer, Citation, Paragraph, Passage
from index.settings import Settings
from index.store import IndexUnavailableError
from ui.api import CitedService
from ui.chat import ChatHandlers

pytestmark = pytest.mark.unit

QUOTE = "Iraqi forces retook eastern Mosul in January."


def final_answer(question: str) -> Answer:
    paragraph = Paragraph(id="d#1", doc_id="d", n=1, text=QUOTE, title="T", source="S", start=0, end=len(QUOTE))
    citation = Citation(
        n=1, paragraph_id="d#1", doc_id="d", title="T", source="S", quote=QUOTE, start=0, end=len(QUOTE),
        verified=True,
    )  # fmt: skip
    return Answer(
        question=question,
        text=f"**Iraqi forces**\n\n“{QUOTE}” [1]",
        citations=[citation],
        passages=[Passage(paragraph=paragraph, rank=1, score=1.0)],
    )


class StreamingAssistant:
    answerer_name = "fake"

    def __init__(self, settings: Settings, fail: Exception | None = None) -> None:
        self.settings = settings
        self.retriever = SimpleNamespace()
        self.fail = fail
        self.calls: list[tuple[str, list[str], int | None]] = []
        self.scopes: list[tuple[dict[str, Any] | None, date | None]] = []

    def stream(
        self,
        question: str,
        history: list[str],
        k: int | None = None,
        filters: dict[str, Any] | None = None,
        as_of: date | None = None,
    ) -> Iterator[str | Answer]:
        self.calls.append((question, list(history), k))
        self.scopes.append((filters, as_of))
        if self.fail:
            raise self.fail
        yield "Iraqi "
        yield "forces <b>[1]</b>"
        yield final_answer(question)


def handlers_with(tmp_path: Path, fail: Exception | None = None) -> tuple[ChatHandlers, StreamingAssistant]:
    settings = Settings(index_dir=tmp_path / "index", chroma_url=None)
    assistant = StreamingAssistant(settings, fail)
    return ChatHandlers(CitedService(settings, assistant)), assistant  # type: ignore[arg-type]


def test_respond_streams_then_renders_the_final_answer(tmp_path: Path) -> None:
    handlers, assistant = handlers_with(tmp_path)
    steps = list(handlers.respond("Who retook eastern Mosul?", [], 4, "extractive"))
    contents = [step[0][-1]["content"] for step in steps]
    assert "Searching" in contents[0]
    assert "Iraqi " in contents[1] and "streaming" in contents[1]
    assert "forces &lt;b&gt;[1]&lt;/b&gt;" in contents[2]  # streamed text is escaped too
    final_messages, turns, box, _ = steps[-1]
    assert box == ""
    assert 'value="0:1"' in final_messages[-1]["content"] and "streaming" not in final_messages[-1]["content"]
    assert len(turns) == 1 and turns[0]["answer"]["citations"][0]["quote"] == QUOTE
    assert assistant.calls == [("Who retook eastern Mosul?", [], 4)]

    steps = list(handlers.respond("When did they do it?", turns, 4, "extractive"))
    assert assistant.calls[-1] == ("When did they do it?", ["Who retook eastern Mosul?"], 4)
    assert len(steps[-1][1]) == 2


def test_respond_ignores_blank_input(tmp_path: Path) -> None:
    handlers, assistant = handlers_with(tmp_path)
    steps = list(handlers.respond("   ", [], 4, "extractive"))
    assert len(steps) == 1 and assistant.calls == []


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (IndexUnavailableError("no index yet; run `cited ingest`"), "run `cited ingest`"),
        (RuntimeError("secret internals"), "Something went wrong (RuntimeError)"),
    ],
)
def test_respond_shows_errors_without_internals(tmp_path: Path, error: Exception, shown: str) -> None:
    handlers, _ = handlers_with(tmp_path, fail=error)
    messages, turns, _, _ = list(handlers.respond("Who?", [], 4, "extractive"))[-1]
    assert shown in messages[-1]["content"]
    assert "secret internals" not in messages[-1]["content"]
    assert turns[0]["answer"] is None


def test_show_source_finds_the_clicked_citation(tmp_path: Path) -> None:
    handlers, _ = handlers_with(tmp_path)
    turns = list(handlers.respond("Who retook eastern Mosul?", [], 4, "extractive"))[-1][1]
    html = handlers.show_source(turns, gr.EventData(None, {"value": "0:1"}))
    assert f"<mark>{QUOTE}</mark>" in html and 'data-paragraph-id="d#1"' in html
    assert "cleared" in handlers.show_source(turns, gr.EventData(None, {"value": "5:1"}))
    assert "cleared" in handlers.show_source(turns, gr.EventData(None, {"value": "junk"}))
    assert "no source [3]" in handlers.show_source(turns, gr.EventData(None, {"value": "0:3"}))


def test_clear_resets_everything(tmp_path: Path) -> None:
    handlers, _ = handlers_with(tmp_path)
    messages, turns, box, panel = handlers.clear()
    assert messages == [] and turns == [] and box == "" and "Click a citation" in panel


def test_chat_api_reports_user_errors(tmp_path: Path) -> None:
    handlers, _ = handlers_with(tmp_path)

    def failing_ask(*args: Any, **kwargs: Any) -> Any:
        raise IndexUnavailableError("no index; run `cited ingest`")

    handlers.service.assistant().ask = failing_ask  # type: ignore[method-assign]
    with pytest.raises(gr.Error, match="cited ingest"):
        handlers.chat("Who?")


def test_the_date_boxes_reach_the_assistant(tmp_path: Path) -> None:
    handlers, assistant = handlers_with(tmp_path)
    list(handlers.respond("Who won this week?", [], 4, "extractive", "2024-01-01", " 2024-03-31 ", "2024-03-13"))
    assert assistant.scopes[-1] == ({"since": "2024-01-01", "until": "2024-03-31"}, date(2024, 3, 13))
    list(handlers.respond("Who won?", [], 4, "extractive", "", "", ""))
    assert assistant.scopes[-1] == (None, None)


@pytest.mark.parametrize(
    ("boxes", "message"),
    [
        (("March", "", ""), "needs a date"),
        (("2024-05-01", "2024-01-01", ""), "date range is empty"),
        (("", "", "soon"), "as of"),
    ],
)
def test_a_bad_date_box_is_a_message_not_an_empty_filter(
    tmp_path: Path, boxes: tuple[str, str, str], message: str
) -> None:
    handlers, assistant = handlers_with(tmp_path)
    steps = list(handlers.respond("Who won?", [], 4, "extractive", *boxes))
    final = steps[-1][0][-1]["content"]
    assert "cited-error" in final and message in final
    assert assistant.calls == []
