"""Dates over HTTP, on the dated corpus: since/until filters, as_of, dated citations, and bad dates as 422s."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from uitest_helpers import LiveServer

from eval.dated_corpus import EVENTS, doc_id
from index.models import Answer

pytestmark = pytest.mark.integration

MARATHON = EVENTS[0]
QUESTION = "Who won the Northfield Marathon?"


def post(server: LiveServer, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=60)


def test_retrieve_honours_since_and_until(dated_server: LiveServer) -> None:
    got = post(dated_server, "/api/retrieve", {"query": QUESTION, "k": 10,
                                               "filters": {"since": "2024-01-01", "until": "2024-12-31"}})  # fmt: skip
    assert got.status_code == 200, got.text
    days = [p["paragraph"]["published"] for p in got.json()["passages"]]
    assert days and all(day.startswith("2024-") for day in days)


@pytest.mark.parametrize("which", [0, 1])
def test_ask_as_of_a_day_answers_for_that_week_with_dated_citations(dated_server: LiveServer, which: int) -> None:
    day = MARATHON.days[which]
    got = post(dated_server, "/api/ask", {"question": "Who won the Northfield Marathon this week?",
                                          "as_of": day.isoformat()})  # fmt: skip
    assert got.status_code == 200, got.text
    answer = Answer.model_validate(got.json())
    assert answer.short_answer == MARATHON.names[which]
    assert answer.citations[0].doc_id == doc_id(MARATHON, which)
    assert answer.citations[0].published == day and answer.citations[0].source == MARATHON.outlet


def test_ask_with_a_date_range_reads_only_that_range(dated_server: LiveServer) -> None:
    got = post(dated_server, "/api/ask", {"question": QUESTION, "filters": {"until": "2021-12-31"}})
    answer = Answer.model_validate(got.json())
    assert answer.short_answer == MARATHON.names[0]
    assert all(p.paragraph.published and p.paragraph.published.year <= 2021 for p in answer.passages)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"query": QUESTION, "filters": {"since": "last week"}}, "date"),
        ({"query": QUESTION, "filters": {"since": "2024-05-01", "until": "2024-01-01"}}, "date range is empty"),
        ({"query": QUESTION, "as_of": "2024-13-01"}, "date"),
        ({"query": QUESTION, "as_of": 0}, "string such as 2024-03-01"),
        ({"query": QUESTION, "filters": {"until": 1700000000}}, "string such as 2024-03-01"),
    ],
)
def test_bad_dates_are_422_with_a_message(dated_server: LiveServer, body: dict[str, Any], expected: str) -> None:
    got = post(dated_server, "/api/retrieve", body)
    assert got.status_code == 422 and expected in got.text, got.text


def test_the_schema_documents_the_date_fields(dated_server: LiveServer) -> None:
    schema = httpx.get(f"{dated_server.url}/openapi.json", timeout=30).json()["components"]["schemas"]
    assert {"since", "until"} <= set(schema["Filters"]["properties"])
    assert "as_of" in schema["AskRequest"]["properties"] and "as_of" in schema["RetrieveRequest"]["properties"]
