"""Turning files on disk into decoded text, refusing what cannot be an article.

Every refusal is an `InputError` whose message names the file and says what to do, because the CLI prints it as
the one line a user sees.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.cleaning import ArticleMeta
from index.dates import parse_date
from index.records import RECORD_SUFFIXES

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm"}) | RECORD_SUFFIXES
HTML_SUFFIXES = frozenset({".html", ".htm"})
FALLBACK_ENCODINGS = ("cp1252", "latin-1")


class InputError(Exception):
    """A file or folder that cannot be ingested; the message is meant for the user."""


@dataclass
class RawDocument:
    path: Path
    text: str
    content_hash: str
    is_html: bool = False
    notes: list[str] = field(default_factory=list)
    doc_id: str = ""  # the file stem; a record of a JSON archive has its own (index.records)
    meta: ArticleMeta = field(default_factory=ArticleMeta)  # what the page's metadata or the record's fields say

    def __post_init__(self) -> None:
        self.doc_id = self.doc_id or self.path.stem


def discover(paths: Iterable[Path]) -> list[Path]:
    """The supported files named by `paths` (files, or folders searched recursively), sorted and de-duplicated."""
    found: dict[Path, None] = {}
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder. Check the path and try again.")
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
            files = [p for p in files if not any(part.startswith(".") for part in p.relative_to(path).parts)]
            if not files:
                kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
                raise InputError(f"{path}: the folder holds no supported files ({kinds}). Add articles to it.")
            for f in files:
                found[f.resolve()] = None
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise InputError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; cited reads {kinds}.")
        else:
            found[path.resolve()] = None
    return list(found)


# Byte-order marks of the encodings a text file announces itself in (UTF-32 before UTF-16: its LE mark starts with
# UTF-16's). UTF-8's is handled by "utf-8-sig".
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
MAX_CONTROL_SHARE = 0.02  # text has almost no control characters; random bytes decoded as latin-1 have ~23%
MIN_CONTROLS = 16  # ...and a short file with a stray odd byte is still text
_TEXT_CONTROLS = frozenset("\t\n\r\f\v")


def decode(data: bytes, path: Path) -> tuple[str, list[str]]:
    """By byte-order mark, else UTF-8 when it is, else a single-byte fallback, with a note saying so; a file whose
    decoded start is mostly control characters is binary, NUL bytes or not."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as err:
                raise InputError(f"{path}: starts like {encoding.upper()} but is not; re-save it as UTF-8.") from err
            return text, [f"{path}: decoded as {encoding.upper()} (it starts with a byte-order mark)."]
    if b"\x00" in data[:8192]:
        raise InputError(
            f"{path}: looks like a binary file (it contains NUL bytes); give cited text, Markdown or HTML."
        )
    text, notes = _decode_8bit(data, path)
    head = text[:8192]
    controls = sum(1 for ch in head if unicodedata.category(ch) == "Cc" and ch not in _TEXT_CONTROLS)
    if controls >= MIN_CONTROLS and controls / len(head) > MAX_CONTROL_SHARE:
        raise InputError(
            f"{path}: looks like a binary file ({controls / len(head):.0%} of its first characters are control "
            "characters); give cited text, Markdown or HTML."
        )
    return text, notes


def _decode_8bit(data: bytes, path: Path) -> tuple[str, list[str]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as err:
        bad_at = err.start
    for encoding in FALLBACK_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        note = (
            f"{path}: not valid UTF-8 (first bad byte at {bad_at}); decoded as {encoding}. "
            "Re-save it as UTF-8 to be sure."
        )
        return text, [note]
    raise InputError(f"{path}: cannot decode the file as text; re-save it as UTF-8.")  # pragma: no cover


def read_document(path: Path, max_bytes: int) -> RawDocument:
    try:
        size = path.stat().st_size
    except OSError as err:
        raise InputError(f"{path}: cannot read it ({err.strerror}).") from err
    if size > max_bytes:
        raise InputError(
            f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit for one article; "
            "split it, or raise CITED_MAX_FILE_MB."
        )
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read it ({err.strerror}). Check its permissions.") from err
    if not data.strip():
        raise InputError(f"{path}: the file is empty; remove it or add the article's text.")
    text, notes = decode(data, path)
    doc = RawDocument(path=path, text=text, content_hash=hashlib.sha256(data).hexdigest(), notes=notes)
    if path.suffix.lower() in HTML_SUFFIXES:
        _extract_html(doc)
    if not doc.text.strip() or not any(ch.isalnum() for ch in doc.text):
        raise InputError(f"{path}: no readable text in the file; remove it or fix its content.")
    return doc


def _extract_html(doc: RawDocument) -> None:
    """Keep the page's main text only. Offsets then refer to that extracted text, not to the HTML source."""
    import trafilatura

    result = trafilatura.bare_extraction(
        doc.text, include_comments=False, include_tables=False, favor_precision=True, with_metadata=True
    )
    if result is None or not (getattr(result, "text", None) or "").strip():
        raise InputError(f"{doc.path}: found no article text in this HTML page.")
    doc.is_html = True
    doc.text = str(getattr(result, "text", "") or "")
    day = parse_date(getattr(result, "date", None))  # htmldate: the page's metadata first, then its text
    doc.meta = ArticleMeta(
        title=(getattr(result, "title", None) or "").strip(),
        source=(getattr(result, "sitename", None) or "").strip(),
        published=day,
        published_from="html" if day else "",
        url=(getattr(result, "url", None) or "").strip(),
    )
    doc.notes.append(f"{doc.path}: HTML page; offsets refer to its extracted main text.")
