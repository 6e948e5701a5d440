"""Loading question sets: every kind of mistake is reported with its file, line and problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.datasets import DEFAULT_DATASET, DatasetError, load_dataset, read_corpus, spread_sample

pytestmark = pytest.mark.unit

GOOD = {
    "id": "q1",
    "question": "Who retook eastern Mosul?",
    "answers": ["Iraqi forces"],
    "evidence": ["Iraqi forces retook eastern Mosul"],
    "answerable": True,
    "history": [],
}
CORPUS = ["Iraqi forces retook eastern Mosul in January.", "The “Popular Mobilization” forces advanced."]


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def problems(path: Path, corpus: list[str] | None = None) -> list[tuple[int, str]]:
    with pytest.raises(DatasetError) as caught:
        load_dataset(path, corpus=corpus)
    assert str(path) in str(caught.value)
    return caught.value.problems


def test_good_file_loads_with_defaults(tmp_path: Path) -> None:
    minimal = {k: v for k, v in GOOD.items() if k != "history"}
    unanswerable = {
        **GOOD,
        "id": "q2",
        "answers": [],
        "evidence": [],
        "answerable": False,
        "category": "none",
    }
    records = load_dataset(write(tmp_path, GOOD, "", minimal | {"id": "q3"}, unanswerable), corpus=CORPUS)
    assert [r.id for r in records] == ["q1", "q3", "q2"]
    assert records[1].history == [] and records[1].category is None
    assert records[2].category == "none" and not records[2].answerable


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "bad JSON"),
        ("[1, 2]", "expected a JSON object"),
        ({k: v for k, v in GOOD.items() if k != "answers"}, "missing field 'answers'"),
        ({**GOOD, "answerable": "yes"}, "field 'answerable' must be true or false, got str"),
        ({**GOOD, "question": 7}, "field 'question' must be a string, got int"),
        ({**GOOD, "evidence": "Iraqi forces"}, "field 'evidence' must be a list of strings, got str"),
        ({**GOOD, "answers": ["ok", 3]}, "field 'answers' item 1 must be a non-empty string"),
        ({**GOOD, "history": [""]}, "field 'history' item 0 must be a non-empty string"),
        ({**GOOD, "category": ["who"]}, "field 'category' must be a string, got list"),
        ({**GOOD, "anwsers": []}, "unknown field(s) 'anwsers'"),
        ({**GOOD, "question": "  "}, "field 'question' is empty"),
        ({**GOOD, "evidence": []}, "an answerable question needs at least one 'evidence'"),
    ],
)
def test_each_problem_is_named_with_its_line(tmp_path: Path, line: object, expected: str) -> None:
    path = write(tmp_path, {**GOOD, "id": "first"}, line)
    found = problems(path, CORPUS)
    assert len(found) >= 1
    assert all(number == 2 for number, _ in found)
    assert any(expected in problem for _, problem in found), found
    message = str(pytest.raises(DatasetError, load_dataset, path).value)
    assert f"{path}:2: " in message


def test_evidence_missing_from_corpus(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, {**GOOD, "id": "q2", "evidence": ["Iraqi forces lost Mosul"]})
    assert problems(path, CORPUS) == [(2, "evidence not found in the corpus: 'Iraqi forces lost Mosul'")]
    assert len(load_dataset(path)) == 2  # without a corpus, evidence is not checked


def test_evidence_matches_despite_quotes_case_and_whitespace(tmp_path: Path) -> None:
    record = {**GOOD, "evidence": ['the "popular   mobilization" FORCES']}
    assert load_dataset(write(tmp_path, record), corpus=CORPUS)[0].evidence == record["evidence"]


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    found = problems(write(tmp_path, GOOD, {**GOOD, "question": "Again?"}))
    assert found == [(2, "duplicate id 'q1' (first used on line 1)")]


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "{oops", GOOD, {**GOOD, "id": "q2", "answerable": 1}))
    assert [number for number, _ in found] == [1, 3]


def test_file_level_problems(tmp_path: Path) -> None:
    assert problems(tmp_path / "absent.jsonl") == [(0, "file not found")]
    assert problems(write(tmp_path, "")) == [(0, "no questions in the file")]
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(b'{"id": "\xe9"}\n')
    assert "not UTF-8" in problems(bad)[0][1]


def test_read_corpus_reads_articles_and_strips_html(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("plain text", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.html").write_text("<p>Tom &amp; <b>Jerry</b></p>", encoding="utf-8")
    (tmp_path / "c.json").write_text("{}", encoding="utf-8")
    texts = read_corpus([tmp_path])
    assert len(texts) == 2 and "plain text" in texts
    assert any("Tom & " in t and "Jerry" in t and "<b>" not in t for t in texts)


def test_spread_sample_is_deterministic_and_spread_out() -> None:
    items = list(range(100))
    sample = spread_sample(items, 10)
    assert sample == spread_sample(items, 10)
    assert sample == list(range(0, 100, 10))
    assert spread_sample(items, 3) == [0, 33, 66]
    assert spread_sample(items, 500) == items and spread_sample(items, None) == items
    assert len(set(spread_sample(items, 99))) == 99


def test_bundled_dataset_loads_against_the_bundled_articles() -> None:
    articles = Path(__file__).resolve().parents[2] / "data" / "articles"
    if not DEFAULT_DATASET.exists() or not articles.exists():
        pytest.skip("the bundled gold set or articles are not there")
    records = load_dataset(DEFAULT_DATASET, corpus=read_corpus([articles]))
    assert records and any(r.answerable for r in records)
