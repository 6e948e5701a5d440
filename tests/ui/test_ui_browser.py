"""The chat in a real browser (headless Chromium): ask, click a citation, follow up, refuse, clear; and XSS.

Screenshots go to test-artifacts/chat.png (and docs/chat.png, which the README shows).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from uitest_helpers import ARTICLE_MARKUP, REPO_ROOT, XSS_QUESTION, LiveServer, start_server

from index.models import Answer, Paragraph
from index.settings import Settings

pytestmark = pytest.mark.slow

TIMEOUT_MS = 60_000
FINAL_ANSWERS = "#cited-chat .cited-answer:not(.streaming)"
MOSUL_DOCS = ("001_6433af30963515e2", "004_c9619ea8658885be")


def paragraph(settings: Settings, paragraph_id: str) -> Paragraph:
    from qa.retriever import Retriever

    found = Retriever.from_defaults(settings).snapshot.paragraph(paragraph_id)
    assert found is not None, paragraph_id
    return found


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.errors = errors
    try:
        yield page
    finally:
        context.close()


def ask(page: Any, question: str) -> Any:
    """Type a question, send it, and return the locator of the new finished answer."""
    before = page.locator(FINAL_ANSWERS).count()
    box = page.locator("#cited-input textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll({FINAL_ANSWERS!r}).length > {before}", timeout=TIMEOUT_MS)
    return page.locator(FINAL_ANSWERS).nth(before)


def open_page(page: Any, url: str) -> None:
    page.goto(url + "/", timeout=TIMEOUT_MS)
    page.locator("#cited-input textarea").wait_for(timeout=TIMEOUT_MS)
    page.locator("#cited-sources .cited-panel-empty").wait_for(timeout=TIMEOUT_MS)


def test_ask_click_citation_follow_up(server: LiveServer, page: Any, artifacts_dir: Path) -> None:
    open_page(page, server.url)
    assert "extractive" in page.locator("#cited-answerer").inner_text()

    first = ask(page, "Who retook eastern Mosul?")
    assert "Iraqi forces" in first.inner_text()
    assert "Sources" in first.locator(".cited-sources-list").inner_text()

    first.locator(".cited-body button.cite").first.click()
    card = page.locator("#cited-sources .cited-source")
    card.locator("mark").wait_for(timeout=TIMEOUT_MS)
    paragraph_id = card.get_attribute("data-paragraph-id") or ""
    assert paragraph_id.split("#")[0] in MOSUL_DOCS
    source = paragraph(server.settings, paragraph_id)
    assert paragraph_id in card.inner_text() and source.title in card.inner_text()
    assert card.locator(".cited-paragraph").inner_text() == source.text
    mark = card.locator("mark").inner_text()
    assert mark in source.sentence_texts(), (mark, source.sentence_texts())
    assert "retook eastern Mosul" in mark or "recaptured eastern Mosul" in mark

    second = ask(page, "When did they do it?")
    assert "Understood as:" in second.locator(".cited-understood").inner_text()  # the follow-up was rewritten
    assert second.locator("strong").first.inner_text() == "January", second.inner_text()
    assert page.locator(FINAL_ANSWERS).count() == 2

    second.locator(".cited-sources-list button.cite").last.click()  # the source list under the answer works too
    page.wait_for_function(
        "document.querySelector('#cited-sources .cited-question-ref')?.innerText.includes('When did they do it?')",
        timeout=TIMEOUT_MS,
    )
    screenshot = artifacts_dir / "chat.png"
    page.screenshot(path=str(screenshot), full_page=True)
    docs = REPO_ROOT / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copy(screenshot, docs / "chat.png")
    assert page.errors == []


OFF_TOPIC = "What is the capital of France?"  # the real assistant refuses it (tests/qa test refusals)


def test_refusal_looks_different_and_clear_empties_the_chat(articles_settings: Settings, page: Any) -> None:
    from qa.assistant import Assistant

    with start_server(articles_settings, assistant=Assistant.from_defaults(articles_settings)) as live:
        open_page(page, live.url)
        refused = ask(page, OFF_TOPIC)
        assert "refused" in (refused.get_attribute("class") or "")
        assert "Not in the articles" in refused.locator(".cited-refused-badge").inner_text()
        assert refused.locator("button.cite").count() == 0

        page.locator("#cited-clear").click()
        page.wait_for_function(f"document.querySelectorAll({FINAL_ANSWERS!r}).length === 0", timeout=TIMEOUT_MS)
        # The conversation state is gone too: the next answer is turn 0 again, with no history behind it.
        after = ask(page, "Who retook eastern Mosul?")
        assert "refused" not in (after.get_attribute("class") or "")
        assert (after.locator("button.cite").first.get_attribute("value") or "").startswith("0:")
        assert "Understood as" not in after.inner_text()
        assert page.errors == []


def test_article_markup_is_shown_as_text_and_runs_nothing(xss_settings: Settings, page: Any) -> None:
    with start_server(xss_settings) as live:
        open_page(page, live.url)
        answer = ask(page, XSS_QUESTION)
        assert "<script>window.__xss=2</script>" in answer.inner_text()
        # The article's own "[1]" and "**…**" inside the quote are its words: no button, no bold (#14.8).
        assert ARTICLE_MARKUP in answer.inner_text()
        served = Answer.model_validate(live.app.state.service.assistant().ask(XSS_QUESTION).model_dump())
        markers = [value for part in served.parts for style, value in part.segments() if style == "cite"]
        assert answer.locator(".cited-body button.cite").count() == len(markers), answer.inner_html()
        assert "on time" not in " ".join(answer.locator("strong, b, em").all_inner_texts())

        answer.locator(".cited-body button.cite").first.click()
        card = page.locator("#cited-sources .cited-source")
        card.locator("mark").wait_for(timeout=TIMEOUT_MS)
        assert '<img src=x onerror="window.__xss=1">' in card.locator(".cited-source-title").inner_text()
        assert "<script>window.__xss=2</script>" in card.locator("mark").inner_text()
        assert card.locator("button.cite").count() == 0 and ARTICLE_MARKUP in card.inner_text()

        ask(page, '<img src=x onerror="window.__xss=3"> When did the crew finish grouting?')
        assert '<img src=x onerror="window.__xss=3">' in page.locator("#cited-chat").inner_text()

        page.wait_for_timeout(500)  # time for an injected onerror to have fired, were there one
        assert page.evaluate("typeof window.__xss") == "undefined"
        injected = page.evaluate(
            "document.querySelectorAll('#cited-chat img, #cited-sources img, #cited-chat script, "
            "#cited-sources script').length"
        )
        assert injected == 0
        assert page.errors == []


def test_the_date_range_in_settings_chooses_the_articles(dated_server: LiveServer, page: Any) -> None:
    """The settings' date boxes narrow retrieval, and every source shows its article's outlet and day."""
    from eval.dated_corpus import EVENTS

    marathon = EVENTS[0]
    open_page(page, dated_server.url)
    page.locator("#cited-settings").click()  # the accordion opens
    page.locator("#cited-until textarea, #cited-until input").first.fill("2021-12-31")
    older = ask(page, "Who won the Northfield Marathon?")
    assert marathon.names[0] in older.locator(".cited-body").inner_text()
    sources = older.locator(".cited-sources-list").inner_text()
    assert f"{marathon.outlet} · {marathon.days[0].isoformat()}" in sources
    assert marathon.days[1].isoformat() not in sources

    page.locator("#cited-until textarea, #cited-until input").first.fill("")
    page.locator("#cited-since textarea, #cited-since input").first.fill("2024-01-01")
    newer = ask(page, "Who won the Northfield Marathon?")
    assert marathon.names[1] in newer.locator(".cited-body").inner_text()
    assert marathon.days[0].isoformat() not in newer.locator(".cited-sources-list").inner_text()

    newer.locator(".cited-body button.cite").first.click()
    card = page.locator("#cited-sources .cited-source")
    card.locator("mark").wait_for(timeout=TIMEOUT_MS)
    assert marathon.days[1].isoformat() in card.locator(".cited-source-meta").inner_text()

    page.locator("#cited-since textarea, #cited-since input").first.fill("not a day")
    refused = page.locator("#cited-chat .cited-answer").count()
    box = page.locator("#cited-input textarea")
    box.fill("Who won the Northfield Marathon?")
    box.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#cited-chat .cited-answer').length > {refused}"
        " && document.querySelector('#cited-chat .cited-error')",
        timeout=TIMEOUT_MS,
    )
    assert "needs a date" in page.locator("#cited-chat .cited-error").last.inner_text()
    assert page.errors == []
