"""The snapshot's paragraphs without a Python object per paragraph.

A served index needs every paragraph's id (to map search hits), its sentence count (the sentence table's layout)
and the fields a filter tests (doc id, source, day), but the full record — text, sentence offsets, title, path —
only for the few passages a query returns. A pydantic `Paragraph` costs about 5 KB of heap, 105 MB at 2·10^4
paragraphs, so a loaded snapshot keeps those columns in memory and the records in `paragraphs.jsonl`, read
(`index.disk_rows`) and parsed one at a time when asked for. A snapshot built in memory (an ingest) holds its objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, overload

import numpy as np
from pydantic import ValidationError

from index.disk_rows import RecordFile
from index.models import Paragraph

RECORDS_FILE = "paragraphs.jsonl"
COLUMNS_FILE = "paragraph_columns.json"
REBUILD_HINT = "delete that snapshot folder and the next start rebuilds it from Chroma"
CACHED_RECORDS = 512  # parsed records kept: a query's passages, and the ones its follow-ups come back to


class ParagraphTable(Sequence[Paragraph]):
    """Paragraphs in snapshot order, with their ids and filter fields as columns."""

    def __init__(self, columns: dict[str, list[Any]], records: Sequence[Paragraph] | None = None) -> None:
        self.ids: list[str] = columns["ids"]
        self.doc_ids: list[str] = columns["doc_ids"]
        self.sources: list[str] = columns["sources"]
        self.published: list[date | None] = columns["published"]
        self.sentence_counts = np.asarray(columns["sentences"], dtype=np.int64)
        self._records = records
        self._file: RecordFile | None = None
        self._folder = Path()
        self._parsed = lru_cache(maxsize=CACHED_RECORDS)(self._parse)  # this table's own: dies with it

    @classmethod
    def of(cls, paragraphs: Sequence[Paragraph]) -> ParagraphTable:
        """A table over paragraph objects already in memory."""
        return cls(_columns(paragraphs), records=list(paragraphs))

    @classmethod
    def load(cls, folder: Path) -> ParagraphTable:
        """The table of a saved snapshot: columns read, records left on disk."""
        stored = json.loads((folder / COLUMNS_FILE).read_text(encoding="utf-8"))
        interned: dict[str, str] = {}
        columns = {
            "ids": stored["ids"],
            "doc_ids": [interned.setdefault(v, v) for v in stored["doc_ids"]],
            "sources": [interned.setdefault(v, v) for v in stored["sources"]],
            "published": _days(stored["published"]),
            "sentences": stored["sentences"],
        }
        offsets = np.asarray(stored["offsets"], dtype=np.int64)
        if len(offsets) != len(columns["ids"]) + 1:
            raise ValueError(f"{COLUMNS_FILE}: {len(offsets) - 1} record offsets for {len(columns['ids'])} ids")
        size = (folder / RECORDS_FILE).stat().st_size
        if size != int(offsets[-1]):
            raise ValueError(f"{RECORDS_FILE} is {size} bytes, its columns expect {int(offsets[-1])}")
        table = cls(columns)
        table._folder, table._file = folder, RecordFile(folder / RECORDS_FILE, offsets)
        return table

    def save(self, folder: Path) -> None:
        """`paragraphs.jsonl` (one record a line) and the columns beside it, with each record's byte offset."""
        offsets = [0]
        with (folder / RECORDS_FILE).open("wb") as fh:
            for paragraph in self:
                offsets.append(offsets[-1] + fh.write(paragraph.model_dump_json().encode("utf-8") + b"\n"))
        columns = {
            "ids": self.ids,
            "doc_ids": self.doc_ids,
            "sources": self.sources,
            "published": [day.isoformat() if day else None for day in self.published],
            "sentences": self.sentence_counts.tolist(),
            "offsets": offsets,
        }
        (folder / COLUMNS_FILE).write_text(json.dumps(columns, ensure_ascii=False), encoding="utf-8")

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Paragraph: ...

    @overload
    def __getitem__(self, index: slice) -> list[Paragraph]: ...

    def __getitem__(self, index: int | slice) -> Paragraph | list[Paragraph]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if self._records is not None:
            return self._records[index]
        if not -len(self) <= index < len(self):
            raise IndexError(f"paragraph {index} of {len(self)}")
        return self._parsed(index % len(self))

    def __iter__(self) -> Iterator[Paragraph]:
        return (self[i] for i in range(len(self)))

    def _parse(self, index: int) -> Paragraph:
        assert self._file is not None, "a loaded table with paragraphs has a records file"
        line = self._file[index]
        try:
            paragraph = Paragraph.model_validate_json(line)
        except ValidationError as err:
            raise ValueError(f"{self._where(index)} is damaged ({err.error_count()} errors); {REBUILD_HINT}") from err
        if paragraph.id != self.ids[index]:
            found, expected = paragraph.id, self.ids[index]
            raise ValueError(f"{self._where(index)} holds {found!r}, its columns say {expected!r}; {REBUILD_HINT}")
        return paragraph

    def _where(self, index: int) -> str:
        return f"{self._folder / RECORDS_FILE} line {index + 1}"


def _columns(paragraphs: Sequence[Paragraph]) -> dict[str, list[Any]]:
    return {
        "ids": [p.id for p in paragraphs],
        "doc_ids": [p.doc_id for p in paragraphs],
        "sources": [p.source for p in paragraphs],
        "published": [p.published for p in paragraphs],
        "sentences": [len(p.sentences) for p in paragraphs],
    }


def _days(values: list[str | None]) -> list[date | None]:
    known: dict[str, date] = {}
    return [known.setdefault(v, date.fromisoformat(v)) if v else None for v in values]
