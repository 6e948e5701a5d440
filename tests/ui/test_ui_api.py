"""The REST API over HTTP, against a live server on the bundled articles (and an empty index for the 503s)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from uitest_helpers import LiveServer, start_server

from index.models import Answer
from index.settings import Settings

pytestmark = pytest.mark.integration

MOSUL = "who retook eastern Mosul?"


def post(server: LiveServer, path: str, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=60, **kwargs)


def test_health(server: LiveServer) -> None:
    body = httpx.get(f"{server.url}/api/health", timeout=30).json()
    assert body["status"] == "ok"
    assert body["documents"] == 5
    assert body["answerer"] == "extractive"


def test_retrieve_finds_the_mosul_paragraph(server: LiveServer) -> None:
    response = post(server, "/api/retrieve", {"query": MOSUL, "k": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == MOSUL and body["k"] == 3
    texts = [p["paragraph"]["text"] for p in body["passages"]]
    assert len(texts) == 3
    assert any("retook eastern Mosul" in t or "recaptured eastern Mosul" in t for t in texts), texts
    assert [p["rank"] for p in body["passages"]] == [1, 2, 3]


def test_retrieve_default_k_is_the_setting(server: LiveServer) -> None:
    body = post(server, "/api/retrieve", {"query": MOSUL}).json()
    assert body["k"] == server.settings.top_k
    assert len(body["passages"]) == server.settings.top_k


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"query": ""}, "empty"),
        ({"query": "   \n\t "}, "empty"),
        ({"query": "\u200b\u2060 \ufeff"}, "invisible characters"),
        ({"query": MOSUL, "k": 0}, "greater than or equal to 1"),
        ({"query": MOSUL, "k": 51}, "less than or equal to 50"),
        ({"query": "x" * 2001}, "at most 2000 characters"),
        ({"query": MOSUL, "filters": {"author": "x"}}, "unknown filter 'author'"),
        ({"k": 3}, "Field required"),
    ],
    ids=["empty", "whitespace", "zero-width", "k=0", "k=51", "too-long", "unknown-filter", "missing"],
)
def test_retrieve_invalid_input_is_422_with_a_message(server: LiveServer, body: dict[str, Any], expected: str) -> None:
    response = post(server, "/api/retrieve", body)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert expected in payload["message"], payload
    assert isinstance(payload["detail"], list) and payload["detail"]


def test_retrieve_query_of_exactly_2000_chars_is_accepted(server: LiveServer) -> None:
    assert post(server, "/api/retrieve", {"query": ("Mosul " * 400)[:2000], "k": 1}).status_code == 200


def test_filters_restrict_results(server: LiveServer) -> None:
    everything = post(server, "/api/retrieve", {"query": "Mosul Daesh Iraq", "k": 50}).json()["passages"]
    doc = "004_c9619ea8658885be"
    by_doc = post(server, "/api/retrieve", {"query": MOSUL, "k": 10, "filters": {"doc_id": doc}}).json()
    assert by_doc["passages"] and {p["paragraph"]["doc_id"] for p in by_doc["passages"]} == {doc}

    sources = sorted({p["paragraph"]["source"] for p in everything if p["paragraph"]["source"]})
    assert sources, "the bundled articles name at least one outlet"
    by_source = post(server, "/api/retrieve", {"query": MOSUL, "k": 10, "filters": {"source": [sources[0]]}}).json()
    assert by_source["passages"]
    assert {p["paragraph"]["source"] for p in by_source["passages"]} == {sources[0]}

    nothing = post(server, "/api/retrieve", {"query": MOSUL, "filters": {"doc_id": "no-such-doc"}}).json()
    assert nothing["passages"] == []


def test_ask_returns_verified_citations(server: LiveServer) -> None:
    response = post(server, "/api/ask", {"question": "Who retook eastern Mosul?"})
    assert response.status_code == 200, response.text
    answer = Answer.model_validate(response.json())
    assert not answer.refused
    assert "Iraqi forces" in (answer.short_answer or answer.text)
    assert answer.citations
    paragraphs = {p.paragraph.id: p.paragraph for p in answer.passages}
    for citation in answer.citations:
        paragraph = paragraphs[citation.paragraph_id]
        assert citation.verified
        assert paragraph.quote(citation.start, citation.end) == citation.quote
        original = Path(paragraph.path).read_text(encoding="utf-8")
        assert original[citation.start : citation.end] == citation.quote


def test_ask_follow_up_uses_history(server: LiveServer) -> None:
    body = {"question": "When did they do it?", "history": ["Who retook eastern Mosul?"]}
    answer = Answer.model_validate(post(server, "/api/ask", body).json())
    # Without the history "When did they do it?" is answered from another article ("last Friday night").
    assert answer.context == "Who retook eastern Mosul?" and answer.standalone_question != body["question"]
    assert answer.short_answer == "January"
    assert answer.citations and "eastern Mosul" in answer.citations[0].quote


def test_ask_limits(server: LiveServer) -> None:
    empty = post(server, "/api/ask", {"question": "  "})
    assert empty.status_code == 422 and "empty" in empty.json()["message"]
    invisible = post(server, "/api/ask", {"question": "\u200b"})
    assert invisible.status_code == 422 and "invisible characters" in invisible.json()["message"]
    huge = post(server, "/api/ask", {"question": "x" * 20_001})
    assert huge.status_code in (413, 422) and "20000" in huge.json()["message"]
    long_question = "Who retook eastern Mosul? " + "please " * 400  # > max_question_chars (2,000), < 20,000
    long = post(server, "/api/ask", {"question": long_question})
    assert long.status_code == 200, long.text
    assert any("characters" in notice for notice in long.json()["notices"])
    bad_k = post(server, "/api/ask", {"question": "Who?", "k": 99})
    assert bad_k.status_code == 422


def test_parallel_requests_match_sequential(server: LiveServer) -> None:
    queries = [
        MOSUL,
        "Popular Mobilization Forces spokesman",
        "How many combat troops did Daesh lose?",
        "al-Qaim town near the Syrian border",
        "ISIS commander killed",
    ] * 4

    def ranked(query: str) -> list[tuple[str, int, float]]:
        response = post(server, "/api/retrieve", {"query": query, "k": 5})
        assert response.status_code == 200, response.text
        return [(p["paragraph"]["id"], p["rank"], round(p["score"], 6)) for p in response.json()["passages"]]

    sequential = [ranked(q) for q in queries]
    with ThreadPoolExecutor(max_workers=20) as pool:
        parallel = list(pool.map(ranked, queries))
    assert parallel == sequential


def test_openapi_documents_both_endpoints(server: LiveServer) -> None:
    schema = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    assert "/api/retrieve" in schema["paths"] and "/api/ask" in schema["paths"]
    request = schema["components"]["schemas"]["RetrieveRequest"]["properties"]
    assert request["query"]["maxLength"] == 2000
    k_schema = next(s for s in request["k"]["anyOf"] if s.get("type") == "integer")
    assert (k_schema["minimum"], k_schema["maximum"]) == (1, 50)
    assert httpx.get(f"{server.url}/docs", timeout=30).status_code == 200


def test_no_index_is_503_telling_to_ingest(tmp_path: Path, articles_dir: Path) -> None:
    settings = Settings(index_dir=tmp_path / "empty-index", articles_dir=articles_dir, chroma_url=None)
    with start_server(settings, warm=False) as empty:
        health = httpx.get(f"{empty.url}/api/health", timeout=30).json()
        assert health["status"] == "empty" and health["documents"] == 0
        for path, body in (("/api/retrieve", {"query": MOSUL}), ("/api/ask", {"question": MOSUL})):
            response = post(empty, path, body)
            assert response.status_code == 503, response.text
            assert "cited ingest" in response.json()["message"]


def test_api_wants_basic_auth_when_configured(articles_settings: Settings) -> None:
    settings = articles_settings.model_copy(update={"auth": "reader:s3cret"})
    with start_server(settings, warm=False) as live:
        assert httpx.get(f"{live.url}/api/health", timeout=30).status_code == 401
        assert httpx.get(f"{live.url}/api/health", auth=("reader", "wrong"), timeout=30).status_code == 401
        assert httpx.get(f"{live.url}/api/health", auth=("reader", "s3cret"), timeout=30).status_code == 200
        # The chat's own API refuses anonymous callers too (Gradio auth).
        assert httpx.get(f"{live.url}/config", timeout=30).status_code == 401
        # So do the schema and its page (#14 hardening).
        for path in ("/openapi.json", "/docs"):
            assert httpx.get(f"{live.url}{path}", timeout=30).status_code == 401, path
            assert httpx.get(f"{live.url}{path}", auth=("reader", "s3cret"), timeout=30).status_code == 200, path
        schema = httpx.get(f"{live.url}/openapi.json", auth=("reader", "s3cret"), timeout=30).json()
        assert "429" in schema["paths"]["/api/ask"]["post"]["responses"]
        # A client that keeps guessing is refused for the rest of the minute, even with the right password.
        for _ in range(4):  # with the wrong password above, five failures
            assert httpx.get(f"{live.url}/api/health", auth=("reader", "guess"), timeout=30).status_code == 401
        blocked = httpx.get(f"{live.url}/api/health", auth=("reader", "s3cret"), timeout=30)
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
        assert "too many failed logins" in blocked.json()["message"]
