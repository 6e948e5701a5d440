"""The chat's programmatic endpoint, called as another program would: `gradio_client` on a live server."""

from __future__ import annotations

import pytest
from uitest_helpers import LiveServer

pytestmark = pytest.mark.integration


def test_gradio_client_chat(server: LiveServer) -> None:
    from gradio_client import Client

    client = Client(server.url + "/", verbose=False)
    answer = client.predict(message="Who retook eastern Mosul?", api_name="/chat")
    assert isinstance(answer, str)
    assert "Iraqi forces" in answer
    assert "[1]" in answer and "Sources:" in answer

    follow_up = client.predict(message="When did they do it?", history=["Who retook eastern Mosul?"], api_name="/chat")
    answer_part, sources = follow_up.split("Sources:")
    assert answer_part.startswith("**January**"), follow_up  # the short answer leads; history ignored → another one
    assert "eastern Mosul" in sources.split("\n[2]")[0], follow_up


def test_gradio_client_reports_user_errors(server: LiveServer) -> None:
    from gradio_client import Client

    client = Client(server.url + "/", verbose=False)
    with pytest.raises(Exception, match="empty"):
        client.predict(message="   ", api_name="/chat")
