"""The snapshot's paragraph table: the same paragraphs back from disk, columns for ids and filters, records parsed
only when asked for, and a damaged file that is caught (and rebuilt from Chroma) rather than misread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index.ingest import ingest
from index.models import Paragraph, Span
from index.opening import open_index
from index.paragraph_table import RECORDS_FILE, ParagraphTable
from index.settings import Settings
from qa.retriever import normalise_filters


def _paragraph(doc_id: str, n: int, text: str, *, source: str = "", day: date | None = None) -> Paragraph:
    sentences = [Span(start=0, end=len(text))] if text else []
    return Paragraph(
        id=f"{doc_id}#{n}", doc_id=doc_id, n=n, text=text, start=0, end=len(text), source=source,
        published=day, sentences=sentences,
    )  # fmt: skip


PARAGRAPHS = [
    _paragraph("bridge", 1, "The bridge reopened — «après» two years.", source="Riverside", day=date(2024, 3, 1)),
    _paragraph("bridge", 2, "Engineers replaced the arches.", source="Riverside", day=date(2024, 3, 1)),
    _paragraph("harvest", 1, "", source="Valley News"),
    _paragraph("library", 1, "The library stays open late. Students asked.", source="Tabnak", day=date(2025, 1, 9)),
]


@pytest.mark.unit
def test_a_saved_table_loads_the_same_paragraphs_and_columns(tmp_path: Path) -> None:
    ParagraphTable.of(PARAGRAPHS).save(tmp_path)
    loaded = ParagraphTable.load(tmp_path)
    assert list(loaded) == PARAGRAPHS and len(loaded) == 4
    assert loaded[-1] == PARAGRAPHS[-1] and loaded[1:3] == PARAGRAPHS[1:3]
    assert loaded.ids == [p.id for p in PARAGRAPHS] and loaded.doc_ids == [p.doc_id for p in PARAGRAPHS]
    assert loaded.published == [p.published for p in PARAGRAPHS]
    assert loaded.sentence_counts.tolist() == [1, 1, 0, 1]
    with pytest.raises(IndexError):
        loaded[4]


@pytest.mark.unit
def test_filters_are_decided_from_the_columns(tmp_path: Path) -> None:
    ParagraphTable.of(PARAGRAPHS).save(tmp_path)
    loaded = ParagraphTable.load(tmp_path)
    cases = {
        "by article": ({"doc_id": ["bridge", "library"]}, [True, True, False, True]),
        "by outlet": ({"source": "Valley News"}, [False, False, True, False]),
        "by day (unknown days are outside)": ({"since": "2024-06-01"}, [False, False, False, True]),
        "both": ({"doc_id": "bridge", "until": "2024-03-01"}, [True, True, False, False]),
    }
    for name, (filters, expected) in cases.items():
        assert normalise_filters(filters).mask(loaded).tolist() == expected, name


@pytest.mark.unit
def test_a_truncated_or_swapped_records_file_is_caught(tmp_path: Path) -> None:
    ParagraphTable.of(PARAGRAPHS).save(tmp_path)
    records = tmp_path / RECORDS_FILE
    whole = records.read_bytes()
    records.write_bytes(whole[:-10])
    with pytest.raises(ValueError, match=RECORDS_FILE):
        ParagraphTable.load(tmp_path)
    twins = [_paragraph("alpha", 1, "x" * 12), _paragraph("gamma", 1, "y" * 12)]  # records of one length
    ParagraphTable.of(twins).save(tmp_path)
    first, second = records.read_bytes().splitlines(keepends=True)
    records.write_bytes(second + first)
    with pytest.raises(ValueError, match=f"{RECORDS_FILE} line 1 holds 'gamma#1'"):
        list(ParagraphTable.load(tmp_path))
    records.write_bytes(b"{" * (len(first) + len(second)))
    with pytest.raises(ValueError, match=f"{RECORDS_FILE} line 1 is damaged"):
        list(ParagraphTable.load(tmp_path))


@pytest.mark.integration
def test_an_opened_index_parses_only_what_it_is_asked_for_and_rebuilds_a_damaged_table(
    fresh_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    settings = fresh_settings()
    report = ingest([settings.articles_dir], settings, progress=False)
    table = open_index(settings).snapshot.table
    assert table._records is None, "a loaded snapshot keeps its records on disk"
    assert table._parsed.cache_info().currsize == 0
    assert table[3].id == table.ids[3] and table._parsed.cache_info().currsize == 1
    expected = list(table)
    (settings.cache_dir / report.version / RECORDS_FILE).write_bytes(b"{}\n")
    with caplog.at_level(logging.WARNING):
        rebuilt = open_index(settings).snapshot
    assert "rebuilding it from Chroma" in caplog.text
    assert list(rebuilt.paragraphs) == expected and rebuilt.table._records is None
    assert np.array_equal(rebuilt.sentence_start, open_index(settings).snapshot.sentence_start)
