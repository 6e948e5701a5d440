"""Sanity checks for the question sets eval/datasets/articles*.jsonl (the gold set and the two held-out sets).

Only the standard library and pytest are used, so these run without the project's heavy dependencies.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "eval" / "datasets" / "articles.jsonl"
DATASETS = sorted((ROOT / "eval" / "datasets").glob("articles*.jsonl"))
ARTICLES_DIR = ROOT / "data" / "articles"

FACTOID = {"who", "what", "when", "where", "how-many"}
CATEGORIES = FACTOID | {"shared", "unanswerable", "follow-up"}
REQUIRED = {
    "id": str,
    "question": str,
    "answers": list,
    "evidence": list,
    "answerable": bool,
    "history": list,
    "category": str,
}


def _load_lines(path: Path = DATASET) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module", params=DATASETS, ids=[p.stem for p in DATASETS])
def dataset(request: pytest.FixtureRequest) -> Path:
    return Path(request.param)


@pytest.fixture(scope="module")
def records(dataset: Path) -> list[dict]:
    return [json.loads(line) for line in _load_lines(dataset)]


@pytest.fixture(scope="module")
def articles() -> dict[str, list[str]]:
    """Article file name -> its paragraphs (lines)."""
    files = sorted(ARTICLES_DIR.glob("*.txt"))
    assert files, f"no articles in {ARTICLES_DIR}"
    return {f.name: f.read_text(encoding="utf-8").split("\n") for f in files}


def _paragraphs_with(evidence: str, articles: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(name, para) for name, paras in articles.items() for para in paras if evidence in para]


def test_there_are_a_gold_set_and_held_out_sets() -> None:
    assert {p.name for p in DATASETS} >= {"articles.jsonl", "articles-heldout.jsonl", "articles-heldout2.jsonl"}


def test_held_out_questions_are_new() -> None:
    seen: dict[str, str] = {}
    for path in DATASETS:
        for line in _load_lines(path):
            question = " ".join(json.loads(line)["question"].lower().split())
            assert question not in seen, f"{path.name} repeats a question of {seen[question]}: {question!r}"
            seen[question] = path.name


def test_every_line_parses(dataset: Path) -> None:
    lines = _load_lines(dataset)
    assert lines, "dataset is empty"
    for n, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - failure path
            pytest.fail(f"line {n} is not valid JSON: {exc}")
        assert isinstance(obj, dict), f"line {n} is not a JSON object"


def test_ids_unique(records: list[dict]) -> None:
    ids = [r.get("id") for r in records]
    dupes = [i for i, c in Counter(ids).items() if c > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_fields_and_types(records: list[dict]) -> None:
    for r in records:
        for field, typ in REQUIRED.items():
            assert field in r, f"{r.get('id')}: missing field {field!r}"
            assert isinstance(r[field], typ), f"{r.get('id')}: {field!r} should be {typ.__name__}"
        assert r["id"].strip() and r["question"].strip(), f"{r['id']}: empty id or question"
        assert r["category"] in CATEGORIES, f"{r['id']}: unknown category {r['category']!r}"
        for field in ("answers", "evidence", "history"):
            assert all(isinstance(x, str) and x.strip() for x in r[field]), (
                f"{r['id']}: {field!r} must hold non-empty strings"
            )
        assert r["answerable"] == (r["category"] != "unanswerable"), (
            f"{r['id']}: answerable flag disagrees with category"
        )


def test_evidence_verbatim_in_one_paragraph(records: list[dict], articles: dict[str, list[str]]) -> None:
    for r in records:
        for ev in r["evidence"]:
            assert "\n" not in ev, f"{r['id']}: evidence spans lines: {ev!r}"
            assert _paragraphs_with(ev, articles), f"{r['id']}: evidence not found verbatim: {ev!r}"


def test_answerable_records_are_supported(records: list[dict], articles: dict[str, list[str]]) -> None:
    for r in records:
        if not r["answerable"]:
            continue
        assert r["answers"], f"{r['id']}: no answers"
        assert r["evidence"], f"{r['id']}: no evidence"
        answers = [a.lower() for a in r["answers"]]
        texts = [ev.lower() for ev in r["evidence"]]
        texts += [para.lower() for ev in r["evidence"] for _, para in _paragraphs_with(ev, articles)]
        assert any(a in t for a in answers for t in texts), (
            f"{r['id']}: no answer occurs in its evidence or the evidence paragraphs"
        )


def test_unanswerable_records_are_empty(records: list[dict]) -> None:
    for r in records:
        if not r["answerable"]:
            assert r["answers"] == [], f"{r['id']}: unanswerable record has answers"
            assert r["evidence"] == [], f"{r['id']}: unanswerable record has evidence"


def test_follow_ups_have_history(records: list[dict]) -> None:
    for r in records:
        if r["category"] == "follow-up":
            assert r["history"], f"{r['id']}: follow-up without history"


def test_counts(articles: dict[str, list[str]]) -> None:
    """The gold set is large enough to measure each behaviour (the held-out sets are smaller on purpose)."""
    records = [json.loads(line) for line in _load_lines(DATASET)]
    assert len(records) >= 60, f"only {len(records)} questions"

    factoid = [r for r in records if r["category"] in FACTOID and r["answerable"]]
    assert len(factoid) >= 40, f"only {len(factoid)} answerable factoid questions"

    shared_ok = []
    for r in records:
        if r["category"] != "shared":
            continue
        sources = {name for ev in r["evidence"] for name, _ in _paragraphs_with(ev, articles)}
        if len(sources) >= 2:
            shared_ok.append(r["id"])
    assert len(shared_ok) >= 8, f"only {len(shared_ok)} shared questions backed by two articles"

    unanswerable = [r for r in records if r["category"] == "unanswerable" and not r["answerable"]]
    assert len(unanswerable) >= 8, f"only {len(unanswerable)} unanswerable questions"

    follow_ups = [r for r in records if r["category"] == "follow-up" and r["history"]]
    assert len(follow_ups) >= 6, f"only {len(follow_ups)} follow-ups with history"


def test_shared_records_cite_two_articles(records: list[dict], articles: dict[str, list[str]]) -> None:
    for r in records:
        if r["category"] == "shared":
            sources = {name for ev in r["evidence"] for name, _ in _paragraphs_with(ev, articles)}
            assert len(sources) >= 2, f"{r['id']}: shared question backed by {sorted(sources)} only"
