"""Server-side failures become short 500s (never a traceback), and the service is built once and shared."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.settings import Settings
from ui.api import CitedService, create_app, parse_auth

pytestmark = pytest.mark.unit


class BrokenAssistant:
    """Fails the way a bug would: with an exception nobody expected, carrying internals in its message."""

    answerer_name = "broken"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.retriever = SimpleNamespace(retrieve=self._fail)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals at /srv/private/path")

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", chroma_url=None)


def test_unexpected_errors_are_short_500s(settings: Settings) -> None:
    client = TestClient(create_app(settings, assistant=BrokenAssistant(settings)))  # type: ignore[arg-type]
    for path, body in (("/api/retrieve", {"query": "x"}), ("/api/ask", {"question": "x"})):
        response = client.post(path, json=body)
        assert response.status_code == 500
        detail = response.json()["message"]
        assert "RuntimeError" in detail and "server log" in detail
        assert "Traceback" not in response.text and "/srv/private" not in response.text


def test_one_assistant_per_answerer_even_under_concurrency(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa import assistant as assistant_module

    built: list[str] = []
    lock = threading.Lock()

    def fake_from_defaults(settings: Settings, answerer: str | None = None, retriever: Any = None) -> Any:
        with lock:
            built.append(answerer or "")
        return SimpleNamespace(settings=settings, retriever=retriever or object(), answerer_name=answerer)

    monkeypatch.setattr(assistant_module.Assistant, "from_defaults", staticmethod(fake_from_defaults))
    service = CitedService(settings)
    with ThreadPoolExecutor(max_workers=16) as pool:
        got = list(pool.map(lambda _: service.assistant(), range(64)))
    assert built == ["extractive"]
    assert all(a is got[0] for a in got)


def test_answerers_offer_the_configured_llm(settings: Settings) -> None:
    assert CitedService(settings).answerers == ["extractive"]
    llm = settings.model_copy(update={"answerer": "ollama"})
    assert CitedService(llm).answerers == ["extractive", "ollama"]
    from qa.retriever import QueryError

    with pytest.raises(QueryError, match="unknown answerer"):
        CitedService(settings).assistant("openai-like")


def test_parse_auth() -> None:
    assert parse_auth(None) is None
    assert parse_auth("user:pa:ss") == ("user", "pa:ss")
    for bad in ("user", ":pw", "user:"):
        with pytest.raises(ValueError, match="user:password"):
            parse_auth(bad)
