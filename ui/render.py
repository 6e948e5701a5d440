"""Answers, citations and sources as HTML for the chat: pure functions, no Gradio.

The one rule: every string that comes from an article, a model or the user goes through `esc()` before it
touches HTML; the only raw markup is the fixed set of tags built here. The answer is rendered from its parts
(`Answer.parts`): the answerer's own markers become buttons, and an article's literal `[1]` or `**x**` inside a
quote stays text, as does `<script>` or `<img onerror=…>`.

Citation buttons carry their address in the `value` attribute ("turn:n"), not in `data-*` attributes: the
Gradio Chatbot's HTML sanitiser strips `data-*` but keeps `value` (checked in Chromium with Gradio 6.31).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from index.models import PROSE_KINDS, RELATED_HEADING, Answer, AnswerPart, Citation, Paragraph, needs_quote_marks

REFUSED_LABEL = "Not in the articles"
PANEL_HINT = "Click a citation such as [1] in an answer to see the paragraph it quotes, with the evidence highlighted."


def esc(text: object) -> str:
    """HTML-escape anything (quotes too, so it is safe inside attribute values)."""
    return html.escape("" if text is None else str(text), quote=True)


def paragraph_number(paragraph_id: str) -> int | None:
    """`"doc#7"` → 7: the ¶ number readers see."""
    _, _, n = paragraph_id.rpartition("#")
    return int(n) if n.isdigit() else None


def cite_button(turn: int, n: int, label: str | None = None, extra_class: str = "") -> str:
    """The clickable `[n]`; `value` tells the page's click handler which answer and which citation."""
    classes = "cite" + (f" {extra_class}" if extra_class else "")
    text = esc(label) if label is not None else f"[{n}]"
    return (
        f'<button type="button" class="{classes}" value="{int(turn)}:{int(n)}" '
        f'title="Show source {int(n)}">{text}</button>'
    )


def part_html(part: AnswerPart, turn: int, known: set[int]) -> str:
    """One answer part's words, escaped, with its citations as buttons (an [n] no citation backs stays text)."""
    out = []
    for style, value in part.segments():
        if style == "cite":
            n = int(value)
            out.append(cite_button(turn, n) if n in known else f"[{n}]")
        elif style == "bold":
            out.append(f"<strong>{esc(value)}</strong>")
        elif style == "quote" and needs_quote_marks(str(value)):
            out.append(f"“{esc(value)}”")
        else:
            out.append(esc(value))
    return "".join(out).strip()


def parts_html(parts: list[AnswerPart], turn: int = 0, citations: Iterable[int] = ()) -> str:
    """The answer body: a <p> per part, generated sentences in one <p>, related reading as a list."""
    known = set(citations)
    out: list[str] = []
    previous = ""
    for part in parts:
        html_part = part_html(part, turn, known)
        if part.kind in PROSE_KINDS and previous in PROSE_KINDS:
            out[-1] = out[-1].removesuffix("</p>") + " " + html_part + "</p>"
        elif part.kind == "related":
            if previous != "related":
                out.append(f"<p>{esc(RELATED_HEADING)}</p><ul></ul>")
            out[-1] = out[-1].removesuffix("</ul>") + f"<li>{html_part}</li></ul>"
        else:
            out.append(f"<p>{html_part}</p>")
        previous = part.kind
    return "".join(out)


def text_html(text: str) -> str:
    """An answer that came without parts: its text shown as it is, escaped, nothing made live."""
    return "".join("<p>" + "<br>".join(esc(line) for line in block.split("\n")) + "</p>"
                   for block in (text or "").strip().split("\n\n") if block.strip())  # fmt: skip


def citation_label(citation: Citation, paragraph: Paragraph | None = None) -> str:
    """`title · outlet · day · ¶n` (the outlet is left out when the article has none; the day says "date
    unknown")."""
    n = paragraph.n if paragraph is not None else paragraph_number(citation.paragraph_id)
    parts = [citation.title or citation.doc_id]
    if citation.source:
        parts.append(citation.source)
    parts.append(citation.published_label)
    if n is not None:
        parts.append(f"¶{n}")
    return " · ".join(parts)


def paragraph_of(answer: Answer, citation: Citation) -> Paragraph | None:
    for passage in answer.passages:
        if passage.paragraph.id == citation.paragraph_id:
            return passage.paragraph
    return None


def sources_list_html(answer: Answer, turn: int) -> str:
    """The line of sources under an answer; each entry opens its citation like the inline marker does."""
    if not answer.citations:
        return ""
    entries = [
        cite_button(turn, c.n, f"[{c.n}] {citation_label(c, paragraph_of(answer, c))}", extra_class="cite-source")
        for c in answer.citations
    ]
    return (
        '<div class="cited-sources-list"><span class="cited-sources-label">Sources</span>' + "".join(entries) + "</div>"
    )


def answer_html(answer: Answer, turn: int) -> str:
    """A finished answer for the chat. One line of HTML with no blank lines: the Chatbot's markdown renderer
    passes an HTML block through untouched only up to the first blank line."""
    refused = answer.refused
    classes = "cited-answer refused" if refused else "cited-answer"
    parts = [f'<div class="{classes}">']
    if refused:
        parts.append(f'<div class="cited-refused-badge">⊘ {esc(REFUSED_LABEL)}</div>')
    for notice in answer.notices:
        parts.append(f'<div class="cited-notice">Note: {esc(notice)}</div>')
    if answer.standalone_question and answer.standalone_question != answer.question:
        parts.append(f'<div class="cited-understood">Understood as: {esc(answer.standalone_question)}</div>')
    parts.append(
        '<div class="cited-body">'
        + (parts_html(answer.parts, turn, (c.n for c in answer.citations)) if answer.parts else text_html(answer.text))
        + "</div>"
    )
    if answer.unsupported:
        items = "".join(f"<li>{esc(s)}</li>" for s in answer.unsupported)
        parts.append(f'<div class="cited-unsupported">⚠ Not supported by the sources, left out:<ul>{items}</ul></div>')
    parts.append(sources_list_html(answer, turn))
    total = answer.timings.get("total")
    timing = f" · {total:,.0f} ms" if total is not None else ""
    parts.append(f'<div class="cited-footer">answered by {esc(answer.answerer)}{timing}</div>')
    parts.append("</div>")
    return "".join(parts).replace("\n", " ")


def streaming_html(text: str) -> str:
    """Text while it streams in: escaped, markers not yet clickable (the final Answer replaces it)."""
    body = "<br>".join(esc(line) for line in (text or "").split("\n"))
    return (
        '<div class="cited-answer streaming"><div class="cited-body">'
        f'<p>{body}<span class="cited-cursor">▍</span></p></div></div>'
    )


def pending_html() -> str:
    return (
        '<div class="cited-answer streaming"><div class="cited-body">'
        '<p class="cited-pending">Searching the articles…</p></div></div>'
    )


def error_html(message: str) -> str:
    return f'<div class="cited-answer error"><div class="cited-error">⚠ {esc(message)}</div></div>'


def user_html(text: str) -> str:
    """The user's own words, shown as text (a question may contain anything)."""
    body = "<br>".join(esc(line) for line in (text or "").split("\n"))
    return f'<div class="cited-question">{body}</div>'


def highlight(paragraph: Paragraph, citation: Citation) -> tuple[str, bool]:
    """The paragraph as HTML with the quote in <mark>; False if the quote could not be placed in it."""
    text = paragraph.text
    a, b = citation.start - paragraph.start, citation.end - paragraph.start
    if not (0 <= a < b <= len(text) and text[a:b] == citation.quote):
        found = text.find(citation.quote) if citation.quote else -1
        if found < 0:
            return esc(text), False
        a, b = found, found + len(citation.quote)
    return f"{esc(text[:a])}<mark>{_answer_words(text, a, b, paragraph.start, citation)}</mark>{esc(text[b:])}", True


def _answer_words(text: str, a: int, b: int, offset: int, citation: Citation) -> str:
    """The quote text[a:b], escaped, with the answer's own words in <strong class="cited-answer"> when known."""
    if citation.answer_start is None or citation.answer_end is None:
        return esc(text[a:b])
    s, e = citation.answer_start - offset, citation.answer_end - offset
    if not a <= s < e <= b:
        return esc(text[a:b])
    return f'{esc(text[a:s])}<strong class="cited-answer">{esc(text[s:e])}</strong>{esc(text[e:b])}'


def source_card_html(answer: Answer, n: int, turn: int) -> str:
    """The sources panel for citation `n` of one answer: where it comes from, the paragraph, the evidence."""
    citation = next((c for c in answer.citations if c.n == n), None)
    if citation is None:
        return panel_message_html(f"That answer has no source [{n}].")
    paragraph = paragraph_of(answer, citation)
    number = paragraph.n if paragraph is not None else paragraph_number(citation.paragraph_id)
    meta = [esc(citation.source) if citation.source else "outlet not stated"]
    meta.append(f'<span class="cited-date">{esc(citation.published_label)}</span>')
    if citation.url.startswith(("http://", "https://")):
        meta.append(f'<a href="{esc(citation.url)}" target="_blank" rel="noopener noreferrer">article</a>')
    if number is not None:
        meta.append(f"¶{number}")
    meta.append(f'<code class="cited-pid">{esc(citation.paragraph_id)}</code>')
    if paragraph is not None:
        body, placed = highlight(paragraph, citation)
    else:
        body, placed = f"<mark>{esc(citation.quote)}</mark>", True
    verified = citation.verified and placed
    check = (
        '<div class="cited-check ok">✓ The highlighted words are verbatim from this paragraph.</div>'
        if verified
        else '<div class="cited-check warn">⚠ The quoted evidence could not be verified in this paragraph.</div>'
    )
    others = [c for c in answer.citations if c.n != n]
    nav = ""
    if others:
        nav = (
            '<div class="cited-other">Other sources of this answer: '
            + "".join(cite_button(turn, c.n) for c in others)
            + "</div>"
        )
    return (
        f'<div class="cited-source" data-paragraph-id="{esc(citation.paragraph_id)}" data-n="{int(n)}">'
        f'<div class="cited-source-head"><span class="cited-source-n">[{int(n)}]</span> '
        f'<span class="cited-source-title">{esc(citation.title or citation.doc_id)}</span></div>'
        f'<div class="cited-source-meta">{" · ".join(meta)}</div>'
        f'<p class="cited-paragraph">{body}</p>'
        f"{check}"
        f'<div class="cited-question-ref">For: {esc(answer.question)}</div>'
        f"{nav}</div>"
    )


def panel_message_html(message: str) -> str:
    return f'<div class="cited-panel-empty">{esc(message)}</div>'


def answer_markdown(answer: Answer) -> str:
    """Plain markdown for API clients (gradio_client's `/chat`): the answer, then a numbered source list."""
    lines = [answer.text.strip()]
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"[{c.n}] {citation_label(c, paragraph_of(answer, c))}: “{c.quote}”")
    return "\n".join(lines)
