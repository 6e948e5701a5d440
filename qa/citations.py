"""Citations: building them from exact offsets, and checking them.

A citation is only shown as evidence when its quote is, character for character, the cited paragraph's text at
the stated offsets. Generated text (an LLM's) is checked sentence by sentence against the paragraphs it cites.
"""

from __future__ import annotations

import re

from index.models import Citation, Paragraph

MARKER = re.compile(r"\[(\d{1,3})\]")


def make_citation(
    n: int, paragraph: Paragraph, start: int, end: int, support: float = 1.0, answer: tuple[int, int] | None = None
) -> Citation:
    """A citation of paragraph[start:end] (file offsets); `answer`, the answer's words, must lie inside the quote."""
    quote = paragraph.quote(start, end)
    if answer is not None and not start <= answer[0] < answer[1] <= end:
        raise ValueError(f"answer offsets {answer} fall outside the quote {start}..{end}")
    return Citation(
        n=n,
        paragraph_id=paragraph.id,
        doc_id=paragraph.doc_id,
        title=paragraph.title,
        source=paragraph.source,
        published=paragraph.published,
        url=paragraph.url,
        quote=quote,
        start=start,
        end=end,
        verified=paragraph.start <= start < end <= paragraph.end and bool(quote.strip()),
        support=round(float(support), 4),
        answer_start=answer[0] if answer else None,
        answer_end=answer[1] if answer else None,
    )


def verify(citation: Citation, paragraph: Paragraph) -> bool:
    return (
        citation.paragraph_id == paragraph.id
        and paragraph.start <= citation.start < citation.end <= paragraph.end
        and paragraph.quote(citation.start, citation.end) == citation.quote
    )


def markers(text: str) -> list[int]:
    return [int(m) for m in MARKER.findall(text)]


def renumber(text: str, n_sources: int) -> tuple[str, list[int]]:
    """Drop markers outside 1..n_sources, renumber the rest in order of first use.

    Returns the new text and, for each new number (1-based position), the old source number it stands for.
    """
    order: list[int] = []
    for n in markers(text):
        if 1 <= n <= n_sources and n not in order:
            order.append(n)
    mapping = {old: new for new, old in enumerate(order, start=1)}

    def sub(match: re.Match[str]) -> str:
        old = int(match.group(1))
        return f"[{mapping[old]}]" if old in mapping else ""

    new_text = MARKER.sub(sub, text)
    new_text = re.sub(r"[ \t]+([.,;:!?])", r"\1", new_text)
    new_text = re.sub(r"[ \t]{2,}", " ", new_text)
    return new_text, order
