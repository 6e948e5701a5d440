"""From an article's text to its body paragraphs, each with exact offsets.

News pages come with furniture (navigation, comment forms, image credits) that must never be cited, and with a
headline and an outlet or dateline prefix ("Alwaght- ", "Tabnak – ") that belong in metadata rather than in the
first paragraph. Offsets are kept into the original text throughout, so nothing here rewrites text: it only chooses
which ranges are paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from index.dates import DATE_PATTERN, DateSource, find_date, parse_date
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

# "BAGHDAD, March 3, 2017 (Reuters) — ", "Mosul, 3 March 2017 - ": a place, a date, maybe the outlet, then a dash.
DATELINE_PREFIX = re.compile(
    rf"(?P<place>[A-Z][\w'.&]*(?:\s+[A-Z][\w'.&]*){{0,2}}),?\s+(?P<date>{DATE_PATTERN}),?\s*"
    r"(?:\((?P<name>[^()\n]{1,40})\)\s*)?[-–—]\s+(?=\S)"
)
# Lines at the top of a .txt/.md article that describe it rather than tell it ("Date: 2024-03-05", "Source: AP").
META_LINE = re.compile(r"(?P<key>date|published|updated|source|outlet|title|author|by)\s*:\s*(?P<value>\S.*)", re.I)
META_KEYS = {"date": "date", "published": "date", "updated": "date", "source": "source", "outlet": "source",
             "title": "title"}  # fmt: skip
MAX_BYLINE_CHARS = 80  # "Published: March 3, 2017 10:14 GMT", "By Jane Doe | 3 March 2017": a line that only dates
MAX_BYLINE_WORDS = 8  # words around the date in a byline ("By Jane Doe and John Roe | Updated 10:14 GMT")
MAX_SUBHEAD_WORDS = 15  # "Who will Littler face in the finals?" is a sub-head, not a statement to quote
MAX_TITLE_CHARS = 160
_TERMINAL = tuple('.!?:;"”’)')
_ELLIPSES = ("…", "...", "[…]", "[...]")  # a headline cut short by the page or the feed


@dataclass
class ArticleMeta:
    """What is known about an article from outside its text (HTML metadata, a JSON record's fields), or read from
    its first lines: title, outlet, publication date with where it came from, address."""

    title: str = ""
    source: str = ""
    published: date | None = None
    published_from: DateSource = ""
    url: str = ""

    def dated(self, day: date | None, where: DateSource) -> None:
        """Take `day` as the publication date unless one is already known (metadata beats the text)."""
        if self.published is None and day is not None:
            self.published, self.published_from = day, where


@dataclass
class CleanArticle:
    title: str
    source: str
    spans: list[tuple[int, int]]  # body paragraphs, offsets into the original text
    meta: ArticleMeta = field(default_factory=ArticleMeta)


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
    short = len(line) <= MAX_TITLE_CHARS and len(line.split()) <= 25
    unfinished = not line.endswith((".", "?", "!", '"', "”")) or line.endswith(_ELLIPSES)
    return short and unfinished or line.startswith("# ")


def _same_headline(line: str, title: str) -> bool:
    """Whether a first line is the article's known title again (or that title cut short with an ellipsis)."""
    a, b = " ".join(line.lower().split()), " ".join(title.lower().split())
    for cut in _ELLIPSES:
        a, b = a.removesuffix(cut).strip(), b.removesuffix(cut).strip()
    return bool(a) and (a == b or (len(b) > 20 and a.startswith(b) and _looks_like_title(line)))


def _is_subhead(text: str) -> bool:
    """A short one-sentence question on a line of its own: structure that introduces the next paragraph."""
    line = text.strip()
    return (
        line.endswith("?")
        and len(line.split()) <= MAX_SUBHEAD_WORDS
        and not line.startswith(("“", '"', "‘", "'"))
        and not re.search(r"[.!?]\s", line[:-1])
    )


def _front_matter_end(text: str, meta: ArticleMeta) -> int:
    """Read a `---` front-matter block at the very top of the file into `meta`; returns where the article starts."""
    match = re.match(r"\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)", text, re.DOTALL)
    if not match:
        return 0
    for line in match.group(1).splitlines():
        _read_meta_line(line, meta, front_matter=True)
    return match.end()


def _read_meta_lines(text: str, blocks: list[tuple[int, int]], meta: ArticleMeta) -> list[tuple[int, int]]:
    """Consume `Key: value` lines at the top of the article ("Date: 2024-03-05", "Source: AP") into `meta`."""
    consumed = 0
    for start, end in blocks[:6]:
        if not _read_meta_line(text[start:end], meta, front_matter=False):
            break
        consumed += 1
    return blocks[consumed:]


def _read_meta_line(line: str, meta: ArticleMeta, *, front_matter: bool) -> bool:
    match = META_LINE.fullmatch(line.strip().strip("*_"))
    if not match:
        return False
    key, value = META_KEYS.get(match.group("key").lower()), match.group("value").strip().strip("\"'")
    if key == "date":
        day = parse_date(value)
        if day is None:
            return False
        meta.dated(day, "front matter" if front_matter else "dateline")
    elif key == "title" and not meta.title:
        meta.title = value
    elif key == "source" and not meta.source:
        meta.source = value
    return True


def _is_byline(line: str, found: tuple[date, int, int]) -> bool:
    """Whether the words around a line's date are a byline's ("Published:", "By Jane Doe |", "10:14 GMT") rather
    than a sentence's: few of them, and at most two in lower case ("updated on", "by")."""
    rest = (line[: found[1]] + " " + line[found[2] :]).split()
    lower = [w for w in rest if re.fullmatch(r"[a-z][a-z']*[.,;:]?", w)]
    return len(rest) <= MAX_BYLINE_WORDS and len(lower) <= 2


def _take_byline(text: str, blocks: list[tuple[int, int]], meta: ArticleMeta) -> list[tuple[int, int]]:
    """A line of the first three that is only a date with a few words ("Published March 3, 2017", "By Jane Doe |
    3 March 2017") dates the article and is not a body paragraph; "The museum opened on 12 March 2016." stays."""
    for i, (start, end) in enumerate(blocks[:3]):
        line = text[start:end]
        found = find_date(line) if len(line) <= MAX_BYLINE_CHARS else None
        if found and _is_byline(line, found):
            meta.dated(found[0], "dateline")
            return blocks[:i] + blocks[i + 1 :]
    return blocks


def _take_prefix(text: str, blocks: list[tuple[int, int]], meta: ArticleMeta) -> tuple[str, list[tuple[int, int]]]:
    """The outlet or dateline prefix of the first body paragraph ("Alwaght- ", "BAGHDAD, March 3, 2017 (Reuters) —
    "), cut from the paragraph; returns the outlet (or the place) it names."""
    if not blocks:
        return "", blocks
    start, end = blocks[0]
    dateline = DATELINE_PREFIX.match(text, start, end)
    day = parse_date(dateline.group("date").replace(".", "")) if dateline else None
    if dateline and day is not None:
        meta.dated(day, "dateline")
        name = (dateline.group("name") or dateline.group("place")).strip()
        return name, [(dateline.end(), end)] + blocks[1:]
    match = OUTLET_PREFIX.match(text, start, end)
    if match:
        return match.group("name").strip(), [(match.end(), end)] + blocks[1:]
    return "", blocks


def clean_article(text: str, fallback_title: str = "", known: ArticleMeta | None = None) -> CleanArticle:
    """Choose the body paragraphs of an article and pull out its title, outlet and date. `known` holds what its
    container said (a JSON record's fields, HTML metadata); a given date or title beats one read from the text."""
    meta = ArticleMeta(**vars(known)) if known else ArticleMeta()
    body_start = _front_matter_end(text, meta)
    blocks = [b for b in _blocks(text) if b[0] >= body_start and not _is_furniture(text[b[0] : b[1]])]
    blocks = _read_meta_lines(text, blocks, meta)
    title = meta.title or fallback_title
    first = text[blocks[0][0] : blocks[0][1]].lstrip("# ").strip() if blocks else ""
    if meta.title and _same_headline(first, meta.title):
        blocks = blocks[1:]  # the record's text repeats its title
    elif not meta.title and len(blocks) > 1 and _looks_like_title(first):
        title, blocks = first, blocks[1:]
    blocks = _take_byline(text, blocks, meta)
    source, blocks = _take_prefix(text, blocks, meta)
    # Markdown headings and question-shaped sub-heads inside the body are structure, not citable statements.
    blocks = [b for b in blocks if not text[b[0] : b[1]].startswith("#") and not _is_subhead(text[b[0] : b[1]])]
    if not title and blocks:
        first = text[blocks[0][0] : blocks[0][1]]
        title = first if len(first) <= 90 else first[:89].rsplit(" ", 1)[0] + "…"
    return CleanArticle(title=title, source=meta.source or source, spans=blocks, meta=meta)


def to_paragraphs(
    text: str,
    *,
    doc_id: str,
    path: str,
    content_hash: str,
    fallback_title: str = "",
    fallback_source: str = "",
    known: ArticleMeta | None = None,
) -> tuple[str, str, list[Paragraph]]:
    """Title, outlet and the Paragraph records of one article (each carries the article's date and address)."""
    article = clean_article(text, fallback_title, known)
    source = article.source or fallback_source
    meta = article.meta
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
            published=meta.published,
            published_from=meta.published_from,
            url=meta.url,
            sentences=[Span(start=s, end=e) for s, e in split_sentences(text[start:end], offset=start)],
        )
        for n, (start, end) in enumerate(article.spans, start=1)
    ]
    return article.title, source, paragraphs
