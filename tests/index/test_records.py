"""News archives as JSON Lines / JSON: records to documents with stable ids and offsets into their text, field
mapping, streaming, and bad lines that name themselves and change nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from index.ingest import ingest
from index.opening import open_index
from index.readers import InputError
from index.records import Record, RecordProblem, field_names, iter_records
from index.settings import Settings
from index.status import index_status

RECORDS = [
    {"id": "a1", "title": "Bridge reopens", "text": "The old bridge reopened on Monday.\n\nTraffic was light.",
     "url": "https://news.example/a1", "published": "2024-03-04T08:00:00Z", "source": "River Post"},
    {"id": "a2", "headline": "Festival draws crowds", "content": "More than twenty thousand visitors came.",
     "publish_date": "March 2, 2024", "outlet": "Valley News"},
    {"id": "a3", "title": "Library hours", "body": "The library will stay open until ten in the evening."},
]  # fmt: skip


def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return path


def read_all(path: Path, **overrides: Any) -> list[Record | RecordProblem]:
    return list(iter_records(path, field_names(overrides or None), max_chars=10**6))


@pytest.mark.unit
def test_default_field_names_map_common_archive_shapes(tmp_path: Path) -> None:
    records = read_all(write_lines(tmp_path / "wire.jsonl", RECORDS))
    assert all(isinstance(r, Record) for r in records)
    first, second, third = records  # type: ignore[misc]
    assert [r.doc_id for r in records] == ["wire-a1", "wire-a2", "wire-a3"]  # type: ignore[union-attr]
    assert (first.meta.title, first.meta.source, first.meta.url) == ("Bridge reopens", "River Post", RECORDS[0]["url"])
    assert (first.meta.published, first.meta.published_from) == (date(2024, 3, 4), "record")
    assert (second.meta.title, second.meta.source, second.meta.published) == (
        "Festival draws crowds", "Valley News", date(2024, 3, 2))  # fmt: skip
    assert third.meta.published is None and third.meta.published_from == ""


@pytest.mark.unit
def test_a_json_array_streams_like_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "wire.json"
    path.write_text(json.dumps(RECORDS, indent=2))
    assert [r.doc_id for r in read_all(path)] == ["wire-a1", "wire-a2", "wire-a3"]  # type: ignore[union-attr]
    (tmp_path / "one.json").write_text(json.dumps(RECORDS[0]))
    assert [r.doc_id for r in read_all(tmp_path / "one.json")] == ["one-a1"]  # type: ignore[union-attr]


@pytest.mark.unit
def test_a_json_array_larger_than_the_read_buffer_keeps_multibyte_text(tmp_path: Path) -> None:
    text = "Déjà vu in Mosul — “quotes” and emoji 🚀. " * 4000  # ~170 kB: many buffer refills mid-character
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"id": i, "text": text} for i in range(3)], ensure_ascii=False), encoding="utf-8")
    records = read_all(path)
    assert [r.text for r in records] == [text] * 3  # type: ignore[union-attr]


@pytest.mark.unit
def test_field_names_can_be_overridden_and_unknown_parts_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "feed.jsonl", [{"guid": "x9", "article_body": "Some text here.", "ts": "2020-01-02"}])
    (record,) = read_all(path, id="guid", text="article_body", published=["ts"])
    assert isinstance(record, Record) and record.doc_id == "feed-x9" and record.meta.published == date(2020, 1, 2)
    with pytest.raises(ValueError, match="unknown part 'txt'"):
        field_names({"txt": "body"})


@pytest.mark.unit
def test_bad_lines_name_their_line_and_a_record_without_text_is_only_reported(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "wire.jsonl", [RECORDS[0], "{not json", ["a list"], {"id": "e", "title": "No text"},
                                                RECORDS[0]])  # fmt: skip
    items = read_all(path)
    problems = [(p.line, p.fatal) for p in items if isinstance(p, RecordProblem)]
    assert problems == [(2, True), (3, True), (4, False), (5, True)]
    messages = [p.message for p in items if isinstance(p, RecordProblem)]
    assert "not valid JSON" in messages[0] and "JSON object" in messages[1] and "no text" in messages[2]
    assert "repeats the record on line 1" in messages[3]


@pytest.mark.unit
def test_ids_are_stable_and_safe(tmp_path: Path) -> None:
    lines = [{"id": "a/b c", "text": "One."}, {"url": "https://x.example/1", "text": "Two."}, {"text": "Three."}]
    first = [r.doc_id for r in read_all(write_lines(tmp_path / "w.jsonl", lines))]  # type: ignore[union-attr]
    again = [r.doc_id for r in read_all(write_lines(tmp_path / "w.jsonl", lines[::-1]))]  # type: ignore[union-attr]
    assert sorted(first) == sorted(again)  # not positional: reordering the file keeps every id
    assert all(d.startswith("w-") and "/" not in d and " " not in d for d in first)


@pytest.mark.integration
def test_an_archive_ingests_with_offsets_into_each_records_text(fresh_settings: Settings, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "wire.jsonl", RECORDS)
    report = ingest([path], fresh_settings, progress=False)
    assert sorted(report.added) == ["wire-a1", "wire-a2", "wire-a3"]
    snapshot = open_index(fresh_settings).snapshot
    texts = {r["id"]: r.get("text") or r.get("content") or r.get("body") for r in RECORDS}
    for paragraph in snapshot.paragraphs:
        record_text = texts[paragraph.doc_id.removeprefix("wire-")]
        assert record_text[paragraph.start : paragraph.end] == paragraph.text
        assert paragraph.path == str(path.resolve())
    by_doc = {p.doc_id: p for p in snapshot.paragraphs}
    assert by_doc["wire-a1"].published == date(2024, 3, 4) and by_doc["wire-a1"].url == RECORDS[0]["url"]
    assert by_doc["wire-a1"].title == "Bridge reopens" and by_doc["wire-a1"].source == "River Post"
    assert snapshot.manifest["wire-a1"].published == "2024-03-04"
    assert snapshot.newest_published == date(2024, 3, 4)


@pytest.mark.integration
def test_records_gone_from_an_archive_are_removed_and_changed_ones_updated(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "wire.jsonl", RECORDS)
    ingest([path], fresh_settings, progress=False)
    changed = dict(RECORDS[0], text="The old bridge reopened on Tuesday.")
    report = ingest([write_lines(path, [changed, RECORDS[1]])], fresh_settings, progress=False)
    assert (report.updated, report.removed, report.unchanged) == (["wire-a1"], ["wire-a3"], ["wire-a2"])
    assert index_status(fresh_settings)["documents"] == 2


@pytest.mark.integration
def test_a_malformed_line_changes_nothing_unless_skip_bad(fresh_settings: Settings, tmp_path: Path) -> None:
    good = write_lines(tmp_path / "good.jsonl", RECORDS[:1])
    ingest([good], fresh_settings, progress=False)
    before = index_status(fresh_settings)
    bad = write_lines(tmp_path / "bad.jsonl", [RECORDS[1], '{"id": "x", "text": "cut off', {"id": "n", "title": "t"}])
    with pytest.raises(InputError) as err:
        ingest([good, bad], fresh_settings, progress=False)
    assert f"{bad.resolve()}:2: not valid JSON" in str(err.value)
    assert "Nothing was changed in the index" in str(err.value) and "--skip-bad" in str(err.value)
    assert index_status(fresh_settings) == before
    report = ingest([good, bad], fresh_settings, progress=False, skip_bad=True)
    assert report.added == ["bad-a2"]
    assert any(":2: not valid JSON" in s for s in report.skipped) and any(":3: no text" in s for s in report.skipped)
