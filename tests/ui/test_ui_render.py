"""ui/render.py: what reaches the browser as HTML. Article text and user input must never become markup."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest

from index.models import Answer, AnswerPart, Citation, Paragraph, Passage
from ui import render

pytestmark = pytest.mark.unit

SCRIPT = "<script>window.__xss=2</script>"
IMG = '<img src=x onerror="window.__xss=1">'
ALLOWED_TAGS = {"div", "p", "br", "ul", "li", "strong", "button", "span", "mark", "code"}


class TagCollector(HTMLParser):
    """Every start tag and attribute, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = TagCollector()
    parser.feed(html)
    parser.close()
    return parser.tags


def assert_inert(html: str) -> None:
    """Only our own tags, no event-handler attributes, no script or img."""
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, f"unexpected <{tag}> in {html!r}"
        for name in attrs:
            assert not name.startswith("on"), f"event handler {name} on <{tag}>"
            assert name in {"class", "type", "value", "title", "data-paragraph-id", "data-n"}, name


def make_answer(text_extra: str = "", title: str = "A title", source: str = "Alwaght") -> Answer:
    paragraph_text = f"First sentence. Iraqi forces retook eastern Mosul {text_extra}in January. Last one."
    start = 100
    quote = f"Iraqi forces retook eastern Mosul {text_extra}in January."
    q_start = start + paragraph_text.index(quote)
    paragraph = Paragraph(
        id="doc1#3",
        doc_id="doc1",
        n=3,
        text=paragraph_text,
        title=title,
        source=source,
        start=start,
        end=start + len(paragraph_text),
    )
    citation = Citation(
        n=1,
        paragraph_id="doc1#3",
        doc_id="doc1",
        title=title,
        source=source,
        quote=quote,
        start=q_start,
        end=q_start + len(quote),
        verified=True,
    )
    return Answer(
        question="Who retook eastern Mosul?",
        parts=[AnswerPart(kind="answer", text="Iraqi forces"), AnswerPart(kind="quote", text=quote, citations=[1])],
        short_answer="Iraqi forces",
        citations=[citation],
        passages=[Passage(paragraph=paragraph, rank=1, score=0.03)],
        timings={"total": 12.0},
    )


def test_esc_escapes_markup_and_quotes() -> None:
    assert render.esc(SCRIPT) == "&lt;script&gt;window.__xss=2&lt;/script&gt;"
    assert render.esc("\"'&") == "&quot;&#x27;&amp;"
    assert render.esc(None) == ""


def test_parts_render_escaped_with_the_answerers_markers_live() -> None:
    parts = [
        AnswerPart(kind="answer", text=f"bold {SCRIPT}"),
        AnswerPart(kind="quote", text="quoted", citations=[1, 9]),
        AnswerPart(kind="refusal", text="nothing"),
        AnswerPart(kind="related", text=f"item {IMG}"),
        AnswerPart(kind="related", text="two"),
    ]
    html = render.parts_html(parts, turn=4, citations=[1])
    assert f"<strong>bold {render.esc(SCRIPT)}</strong>" in html and "<script" not in html
    assert '<button type="button" class="cite" value="4:1"' in html
    assert "[9]" in html and 'value="4:9"' not in html  # a marker no citation backs stays text
    assert html.count("<li>") == 2
    assert "\n" not in html
    assert_inert(html)


def test_article_markup_inside_a_quote_stays_literal_text() -> None:
    """An article's own `[1]` and `**x**` are words of the quote, not a citation button or bold (issue 14.8)."""
    quote = "The report [1] called it **decisive** and [2] agreed."
    html = render.parts_html([AnswerPart(kind="quote", text=quote, citations=[1])], turn=0, citations=[1, 2])
    assert html.count("<button") == 1  # the answerer's own [1] after the quote, nothing inside it
    assert "The report [1] called it **decisive** and [2] agreed." in html
    assert "<strong>" not in html


def test_generated_sentences_run_together_with_their_markers() -> None:
    parts = [
        AnswerPart(kind="sentence", text="Claim one.", citations=[1, 2]),
        AnswerPart(kind="unsupported", text="Two."),
    ]
    html = render.parts_html(parts, citations=[1, 2])
    assert html.count("<p>") == 1 and 'value="0:1"' in html and 'value="0:2"' in html
    assert html.index("Claim one") < html.index('value="0:1"') < html.index('value="0:2"') < html.index("Two.")
    assert "Two. (⚠ unsupported)" in html


def test_answer_html_escapes_article_text_everywhere() -> None:
    answer = make_answer(text_extra=f"{SCRIPT} {IMG} ", title=f"Title {IMG}", source=f"Out{SCRIPT}let")
    answer.notices = [f"notice {SCRIPT}"]
    answer.unsupported = [f"claim {IMG}"]
    answer.answerer = f"extractive{IMG}"
    html = render.answer_html(answer, turn=2)
    assert_inert(html)
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in html
    assert "\n" not in html  # one HTML block for the Chatbot's markdown renderer
    assert 'value="2:1"' in html


def test_source_card_highlights_the_quote_and_escapes() -> None:
    answer = make_answer(text_extra=f"{SCRIPT} ", title=f"T {IMG}")
    html = render.source_card_html(answer, 1, turn=0)
    assert_inert(html)
    mark = re.search(r"<mark>(.*?)</mark>", html)
    assert mark is not None
    assert mark.group(1) == render.esc(answer.citations[0].quote)
    assert "¶3" in html and "doc1#3" in html and "Alwaght" in html
    assert "verbatim" in html


def test_source_card_unknown_citation_and_unplaceable_quote() -> None:
    answer = make_answer()
    assert "no source [7]" in render.source_card_html(answer, 7, turn=0)
    answer.citations[0].quote = "words that are not there"
    html = render.source_card_html(answer, 1, turn=0)
    assert "<mark>" not in html and "could not be verified" in html


def test_refused_answer_looks_different() -> None:
    answer = Answer(question="What is the capital of France?", text="The articles don't answer this.", refused=True)
    html = render.answer_html(answer, 0)
    assert 'class="cited-answer refused"' in html
    assert render.REFUSED_LABEL in html
    assert "cited-sources-list" not in html
    assert 'class="cited-answer refused"' not in render.answer_html(make_answer(), 0)


def test_sources_list_names_title_outlet_date_paragraph() -> None:
    html = render.answer_html(make_answer(), 0)
    assert "A title · Alwaght · date unknown · ¶3" in html
    no_outlet = render.answer_html(make_answer(source=""), 0)
    assert "A title · date unknown · ¶3" in no_outlet
    dated = make_answer()
    dated.citations[0].published = date(2024, 3, 5)
    assert "A title · Alwaght · 2024-03-05 · ¶3" in render.answer_html(dated, 0)


def test_source_card_shows_outlet_date_and_a_safe_link() -> None:
    answer = make_answer()
    card = render.source_card_html(answer, 1, turn=0)
    assert 'Alwaght · <span class="cited-date">date unknown</span>' in card and "<a href" not in card
    answer.citations[0].published = date(2024, 3, 5)
    answer.citations[0].url = "https://news.example/a?b=1&c=2"
    card = render.source_card_html(answer, 1, turn=0)
    assert '<span class="cited-date">2024-03-05</span>' in card
    assert 'href="https://news.example/a?b=1&amp;c=2"' in card and 'rel="noopener noreferrer"' in card
    answer.citations[0].url = "javascript:alert(1)"
    assert "<a href" not in render.source_card_html(answer, 1, turn=0)


def test_user_streaming_and_error_html_escape() -> None:
    for html in (render.user_html(IMG), render.streaming_html(SCRIPT + "\nmore"), render.error_html(IMG)):
        assert_inert(html)
        assert "&lt;" in html


def test_answer_markdown_for_api_clients() -> None:
    md = render.answer_markdown(make_answer())
    assert md.startswith("**Iraqi forces**")
    assert "Sources:\n[1] A title · Alwaght · date unknown · ¶3: “Iraqi forces retook eastern Mosul in January.”" in md


def test_paragraph_number() -> None:
    assert render.paragraph_number("001_abc#12") == 12
    assert render.paragraph_number("nohash") is None


def test_source_card_marks_the_answer_words_inside_the_quote() -> None:
    answer = make_answer(text_extra=f"{SCRIPT} ")
    citation = answer.citations[0]
    paragraph = answer.passages[0].paragraph
    at = paragraph.start + paragraph.text.index("Iraqi forces")
    citation.answer_start, citation.answer_end = at, at + len("Iraqi forces")
    html = render.source_card_html(answer, 1, turn=0)
    assert_inert(html)
    mark = re.search(r"<mark>(.*?)</mark>", html)
    assert mark is not None and '<strong class="cited-answer">Iraqi forces</strong>' in mark.group(1)
    assert re.sub(r"</?strong[^>]*>", "", mark.group(1)) == render.esc(citation.quote)  # the quote stays whole
    citation.answer_start, citation.answer_end = paragraph.start, paragraph.start + 3  # outside the quote
    assert "cited-answer" not in render.source_card_html(answer, 1, turn=0)
