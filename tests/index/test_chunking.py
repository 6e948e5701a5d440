"""Paragraphs to chunks: one per paragraph, long ones cut between sentences, offsets exact."""

from __future__ import annotations

import pytest

from index.chunking import chunk_paragraph
from index.cleaning import to_paragraphs
from index.models import Paragraph

pytestmark = pytest.mark.unit


def _paragraph(body: str, title: str = "A Title Line") -> tuple[str, Paragraph]:
    text = f"{title}\n{body}\n"
    _, _, paragraphs = to_paragraphs(text, doc_id="doc", path="doc.txt", content_hash="h")
    assert len(paragraphs) == 1
    return text, paragraphs[0]


def test_a_short_paragraph_is_one_chunk() -> None:
    text, p = _paragraph("Iraqi forces retook eastern Mosul in January. They began a new push.")
    chunks = chunk_paragraph(p, max_chars=1000)
    assert [(c.id, c.paragraph_id, c.piece, c.text, c.start, c.end) for c in chunks] == [
        ("doc#1:0", "doc#1", 0, p.text, p.start, p.end)
    ]


def test_a_long_paragraph_is_cut_between_sentences() -> None:
    body = " ".join(f"Sentence number {i} tells of the offensive in district {i}." for i in range(40))
    text, p = _paragraph(body)
    assert len(p.text) > 2000
    chunks = chunk_paragraph(p, max_chars=300)
    assert len(chunks) >= len(p.text) // 300
    assert [c.piece for c in chunks] == list(range(len(chunks)))
    assert {c.paragraph_id for c in chunks} == {p.id}
    assert len({c.id for c in chunks}) == len(chunks)
    starts = {s.start for s in p.sentences}
    ends = {s.end for s in p.sentences}
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert len(c.text) <= 300
        assert c.start in starts and c.end in ends  # never inside a sentence
    assert chunks[0].start == p.start and chunks[-1].end == p.end
    # Pieces follow each other with only whitespace between: nothing is lost.
    assert "".join("".join(c.text.split()) for c in chunks) == "".join(p.text.split())


def test_a_sentence_longer_than_the_sentence_bound_is_cut_and_no_chunk_exceeds_it() -> None:
    """A 1,500-character run of words is three bounded pieces, each its own chunk (#14: a line with no full stop
    used to become one chunk and one quote of its whole length)."""
    from index.sentences import MAX_SENTENCE_CHARS

    text, p = _paragraph("The " + "word " * 300 + "end.")
    chunks = chunk_paragraph(p, max_chars=200)
    assert p.text.startswith("The word") and len(p.text) > 2 * MAX_SENTENCE_CHARS
    assert len(chunks) == 3 and all(len(c.text) <= MAX_SENTENCE_CHARS for c in chunks)
    assert " ".join(c.text for c in chunks) == p.text
