"""From an article's text to its body paragraphs, each with exact offsets.

News pages come with furniture (navigation, comment forms, image credits) that must never be cited, and with a
headline and an outlet or dateline prefix ("Alwaght- ", "Tabnak – ") that belong in metadata rather than in the
first paragraph. Offsets are kept into the original text throughout, so nothing here rewrites text: it only chooses
which ranges are paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.models import Paragraph, Span
from index.sentences import split_sentences

# Whole lines that are page furniture, not article text.
FURNITURE_LINE = re.compile(
    r"""^(?:
        skip\ to\ (?:main\ )?content | popular\ videos? | leave\ a\ (?:reply|comment) | post\ comment
      | your\ email\ address\ will\ not\ be\ published.* | required\ fields\ are\ marked.*
      | save\ my\ name,?\ email.* | notify\ me\ of\ .* | (?:name|email|website|comment)\s*\*?
      | share\ this:? | share\ on\ \w+ | related(?:\ (?:posts|articles|stories))?:? | advertisement
      | sign\ up\ for\ .* | subscribe(?:\ to\ .*)? | click\ here\ to\ .* | read\ more:? | tags?:.*
      | (?:source:\s.*)?image\s+via\s.* | (?:photo|image|picture)\ ?(?:credit)?s?:\ .* | \(?photo\ by\ .*
      | .*\b(?:getty\ images|wikimedia\ commons|shutterstock)\W*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# "Alwaght- ", "Tabnak – ", "Mosul- ", "BAGHDAD (Reuters) — ": one to three capitalised words, then a dash.
# No "^": it is matched with .match(text, start) at the first body paragraph, which often follows a
# title line, and "^" only ever matches at offset 0 of the file.
OUTLET_PREFIX = re.compile(r"(?P<name>[A-Z][\w'.&]*(?:\s+[A-Z(][\w'.&)]*){0,2})\s*[-–—]\s+(?=\S)")

MAX_TITLE_CHARS = 160
_TERMINAL = tuple('.!?:;"”’)')


@dataclass
class CleanArticle:
    title: str
    source: str
    spans: list[tuple[int, int]]  # body paragraphs, offsets into the original text


def _lines(text: str) -> list[tuple[int, int]]:
    """Non-blank lines as (start, end) with surrounding whitespace (NBSP included) trimmed."""
    out = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        start, end = pos, pos + len(raw.rstrip("\r\n"))
        pos += len(raw)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append((start, end))
    return out


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph candidates: every line, except that a hard-wrapped line joins the next one.

    The bundled files put one paragraph per line, with or without blank lines between; Markdown and e-mail text
    wrap a paragraph over several lines. A line that ends without terminal punctuation and is followed (with no
    blank line between) by a line starting in lower case is a wrapped line.
    """
    lines = _lines(text)
    blocks: list[tuple[int, int]] = []
    for start, end in lines:
        if blocks:
            prev_start, prev_end = blocks[-1]
            between = text[prev_end:start]
            wrapped = (
                between.count("\n") == 1
                and not text[prev_end - 1 : prev_end].endswith(_TERMINAL)
                and (text[start].islower() or text[start].isdigit())
            )
            if wrapped:
                blocks[-1] = (prev_start, end)
                continue
        blocks.append((start, end))
    return blocks


def _is_furniture(text: str) -> bool:
    line = text.strip().strip("#*_> ").strip()
    return bool(FURNITURE_LINE.match(line))


def _looks_like_title(text: str) -> bool:
    line = text.strip()
    return (
        len(line) <= MAX_TITLE_CHARS
        and len(line.split()) <= 25
        and not line.endswith((".", "?", "!", '"', "”"))
        or line.startswith("# ")
    )


def clean_article(text: str, fallback_title: str = "") -> CleanArticle:
    """Choose the body paragraphs of an article and pull out its title and outlet."""
    blocks = [b for b in _blocks(text) if not _is_furniture(text[b[0] : b[1]])]
    title = fallback_title
    if len(blocks) > 1 and _looks_like_title(text[blocks[0][0] : blocks[0][1]]):
        title = text[blocks[0][0] : blocks[0][1]].lstrip("# ").strip()
        blocks = blocks[1:]
    source = ""
    if blocks:
        start, end = blocks[0]
        match = OUTLET_PREFIX.match(text, start, end)
        if match:
            source = match.group("name").strip()
            blocks[0] = (match.end(), end)
    # Markdown headings inside the body are structure, not citable statements.
    blocks = [b for b in blocks if not text[b[0] : b[1]].startswith("#")]
    if not title and blocks:
        first = text[blocks[0][0] : blocks[0][1]]
        title = first if len(first) <= 90 else first[:89].rsplit(" ", 1)[0] + "…"
    return CleanArticle(title=title, source=source, spans=blocks)


def to_paragraphs(
    text: str, *, doc_id: str, path: str, content_hash: str, fallback_title: str = "", fallback_source: str = ""
) -> tuple[str, str, list[Paragraph]]:
    """Title, outlet and the Paragraph records of one article."""
    article = clean_article(text, fallback_title)
    source = article.source or fallback_source
    paragraphs = [
        Paragraph(
            id=f"{doc_id}#{n}",
            doc_id=doc_id,
            n=n,
            text=text[start:end],
            title=article.title,
            source=source,
            path=path,
            start=start,
            end=end,
            content_hash=content_hash,
            sentences=[Span(start=s, end=e) for s, e in split_sentences(text[start:end], offset=start)],
        )
        for n, (start, end) in enumerate(article.spans, start=1)
    ]
    return article.title, source, paragraphs
