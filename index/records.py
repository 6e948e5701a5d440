"""News archives as JSON: one article per record, in a JSON Lines file (`.jsonl`, `.ndjson`) or a JSON array.

News APIs and scrapers deliver records such as `{"id", "title", "text", "url", "published", "source"}`. Each
record becomes one document (`{file stem}-{record id}`); its paragraphs' offsets point into the record's text field,
so a citation is checkable against the record itself. Files are read a record at a time, never whole: an archive of
any size costs the memory of its paragraphs only. A malformed line is an error that names its line (`--skip-bad`
skips it); a record without text is reported and left out.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from index.cleaning import ArticleMeta
from index.dates import parse_date

RECORD_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
# The field names each part of an article is looked for under, in order; `CITED_RECORD_FIELDS` overrides any of them
# ('{"text": "article_body"}').
DEFAULT_RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "_id", "uuid"),
    "title": ("title", "headline"),
    "text": ("text", "content", "body"),
    "url": ("url", "link"),
    "published": ("published", "publish_date", "published_at", "date"),
    "source": ("source", "outlet", "publisher"),
}
_SAFE_ID = re.compile(r"[\w.-]{1,64}")
_READ_CHUNK = 1 << 16


@dataclass
class Record:
    """One article of a records file, ready for the cleaner."""

    line: int
    doc_id: str
    text: str
    meta: ArticleMeta
    content_hash: str


@dataclass
class RecordProblem:
    """A line that could not become an article. `fatal`: malformed (the run stops unless --skip-bad); otherwise
    the record is only reported (it has no text)."""

    line: int
    message: str
    fatal: bool = True


def field_names(overrides: dict[str, str | list[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """The default mapping with the user's overrides; an unknown part is refused."""
    names = dict(DEFAULT_RECORD_FIELDS)
    for part, given in (overrides or {}).items():
        if part not in names:
            raise ValueError(f"record_fields: unknown part {part!r}; the parts are {', '.join(names)}")
        names[part] = (given,) if isinstance(given, str) else tuple(given)
    return names


def _first(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = record.get(name)
        if value not in (None, ""):
            return value
    return None


def _doc_id(stem: str, record: dict[str, Any], fields: dict[str, tuple[str, ...]], text: str) -> str:
    """Stable across re-ingests: the record's id, else its URL, else its content, made safe for an id."""
    key = _first(record, fields["id"])
    key = _first(record, fields["url"]) if key is None else key
    if key is None:
        return f"{stem}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    key = str(key)
    return f"{stem}-{key}" if _SAFE_ID.fullmatch(key) else f"{stem}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def to_record(
    obj: object, line: int, stem: str, fields: dict[str, tuple[str, ...]], max_chars: int
) -> Record | RecordProblem:
    if not isinstance(obj, dict):
        return RecordProblem(line, f"a record must be a JSON object, not {type(obj).__name__}")
    text = _first(obj, fields["text"])
    if not isinstance(text, str) or not text.strip():
        return RecordProblem(line, f"no text (looked for {', '.join(fields['text'])}); not indexed", fatal=False)
    if len(text) > max_chars:
        return RecordProblem(line, f"text of {len(text):,} characters is over the {max_chars:,} limit for one article")
    title, source, url = (str(_first(obj, fields[part]) or "").strip() for part in ("title", "source", "url"))
    published = parse_date(_first(obj, fields["published"]))
    meta = ArticleMeta(title=title, source=source, published=published, published_from="record" if published else "")
    meta.url = url
    canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return Record(line, _doc_id(stem, obj, fields, text), text, meta, digest)


def iter_records(path: Path, fields: dict[str, tuple[str, ...]], max_chars: int) -> Iterator[Record | RecordProblem]:
    """The records of `path` in file order, one at a time; repeated ids are problems, not silent replacements."""
    seen: dict[str, int] = {}
    with path.open("rb") as fh:
        objects = _json_lines(fh) if path.suffix.lower() != ".json" else _json_array(fh)
        for line, obj in objects:
            item = obj if isinstance(obj, RecordProblem) else to_record(obj, line, path.stem, fields, max_chars)
            if isinstance(item, Record):
                if item.doc_id in seen:
                    item = RecordProblem(line, f"id {item.doc_id!r} repeats the record on line {seen[item.doc_id]}")
                else:
                    seen[item.doc_id] = line
            yield item


def _json_lines(fh: IO[bytes]) -> Iterator[tuple[int, object]]:
    for line_no, raw in enumerate(fh, start=1):
        try:
            text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
        except UnicodeDecodeError as err:
            yield line_no, RecordProblem(line_no, f"not UTF-8 (byte {err.start}); re-save the file as UTF-8")
            continue
        if not text.strip():
            continue
        try:
            yield line_no, json.loads(text)
        except json.JSONDecodeError as err:
            yield line_no, RecordProblem(line_no, f"not valid JSON ({err.msg} at column {err.colno})")


def _json_array(fh: IO[bytes]) -> Iterator[tuple[int, object]]:
    """The elements of a top-level JSON array, decoded one at a time from a growing buffer (a top-level object is
    one record). A syntax error ends the file: nothing after it can be trusted."""
    decoder, text = json.JSONDecoder(), codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    buffer, line, shape, done = "", 1, "", False
    while not done:
        chunk = fh.read(_READ_CHUNK)
        done = not chunk
        buffer += text.decode(chunk, final=done)
        if not shape:
            stripped = buffer.lstrip()
            line += buffer[: len(buffer) - len(stripped)].count("\n")
            buffer = stripped
            if not buffer:
                continue
            if buffer[0] not in "[{":
                yield line, RecordProblem(line, "a .json archive must be an array of records, or one record")
                return
            shape = buffer[0]
            buffer = buffer[1:] if shape == "[" else buffer
        while buffer:
            stripped = buffer.lstrip(" \t\r\n,") if shape == "[" else buffer.lstrip()
            line += buffer[: len(buffer) - len(stripped)].count("\n")
            buffer = stripped
            if not buffer or buffer.startswith("]"):
                break
            try:
                obj, end = decoder.raw_decode(buffer)
            except json.JSONDecodeError as err:
                if done:
                    yield line + err.lineno - 1, RecordProblem(line + err.lineno - 1, f"not valid JSON ({err.msg})")
                    return
                break  # the element goes on in the next chunk
            yield line, obj
            line += buffer[:end].count("\n")
            buffer = buffer[end:]
            if shape == "{":
                return
        if buffer.startswith("]"):
            return
