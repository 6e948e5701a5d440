"""Paragraphs to chunks: one chunk a paragraph, unless the paragraph is longer than the embedding model reads well.

all-MiniLM-L6-v2 truncates at 256 word pieces (about 1,000 characters of news English), so a longer paragraph would
be embedded by its beginning only. Such a paragraph is cut between sentences; every piece keeps the paragraph's id,
so retrieval still returns whole paragraphs.
"""

from __future__ import annotations

from index.models import Chunk, Paragraph


def chunk_paragraph(paragraph: Paragraph, max_chars: int) -> list[Chunk]:
    if len(paragraph.text) <= max_chars or len(paragraph.sentences) <= 1:
        return [_chunk(paragraph, 0, paragraph.start, paragraph.end)]
    pieces: list[tuple[int, int]] = []
    start = end = paragraph.sentences[0].start
    for sentence in paragraph.sentences:
        if end > start and sentence.end - start > max_chars:
            pieces.append((start, end))
            start = sentence.start
        end = sentence.end
    pieces.append((start, end))
    return [_chunk(paragraph, i, s, e) for i, (s, e) in enumerate(pieces)]


def _chunk(paragraph: Paragraph, piece: int, start: int, end: int) -> Chunk:
    return Chunk(
        id=f"{paragraph.id}:{piece}",
        paragraph_id=paragraph.id,
        piece=piece,
        text=paragraph.quote(start, end),
        start=start,
        end=end,
    )
