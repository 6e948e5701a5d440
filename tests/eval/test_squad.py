"""SQuAD v1.1 conversion on a tiny hand-made file: corpus files, records, evidence sentences, the cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval import squad
from eval.datasets import DatasetError
from eval.normalize import normalize_text

pytestmark = pytest.mark.unit

CONTEXT_1 = (
    "Super Bowl 50 was an American football game. The Denver Broncos defeated the Carolina Panthers 24–10. "
    "The game was played on February 7, 2016, at Levi's Stadium."
)
CONTEXT_2 = (
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy,\na region in France."
)


def _qa(qid: str, question: str, context: str, *answers: str, start: int | None = None) -> dict[str, Any]:
    return {
        "id": qid,
        "question": question,
        "answers": [{"text": a, "answer_start": context.find(a) if start is None else start} for a in answers],
    }


def tiny_squad() -> dict[str, Any]:
    return {
        "version": "1.1",
        "data": [
            {
                "title": "Super_Bowl_50",
                "paragraphs": [
                    {
                        "context": CONTEXT_1,
                        "qas": [
                            _qa(
                                "s1",
                                "Who won?",
                                CONTEXT_1,
                                "Denver Broncos",
                                "The Denver Broncos",
                                "Denver Broncos",
                            ),
                            _qa("s2", "When was it played?", CONTEXT_1, "February 7, 2016"),
                            # a wrong answer_start is repaired by finding the text
                            _qa("s3", "Where?", CONTEXT_1, "Levi's Stadium", start=3),
                        ],
                    }
                ],
            },
            {
                "title": "Normans",
                "paragraphs": [
                    {
                        "context": CONTEXT_2,
                        "qas": [_qa("n1", "Where is Normandy?", CONTEXT_2, "a region in France")],
                    },
                    {
                        "context": "Rollo was a Viking.",
                        "qas": [_qa("n2", "Who was Rollo?", "Rollo was a Viking.", "a Viking")],
                    },
                ],
            },
        ],
    }


@pytest.fixture
def squad_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps(tiny_squad()), encoding="utf-8")
    return path


def test_articles_titles_and_contexts() -> None:
    items = squad.articles(tiny_squad())
    assert [a.title for a in items] == ["Super Bowl 50", "Normans"]
    assert len({a.stem for a in items}) == 2
    assert all("\n" not in c for a in items for c in a.contexts)
    assert items[1].contexts[0] == CONTEXT_2.replace("\n", " ")


def test_records_dedupe_answers_in_order_and_carry_the_title() -> None:
    records = {r.id: r for r in squad.squad_records(tiny_squad())}
    assert list(records) == ["s1", "s2", "s3", "n1", "n2"]
    assert records["s1"].answers == ["Denver Broncos", "The Denver Broncos"]
    assert records["s1"].category == "Super Bowl 50"
    assert all(r.answerable and r.history == [] for r in records.values())


def test_evidence_is_the_sentence_holding_the_first_answer() -> None:
    records = {r.id: r for r in squad.squad_records(tiny_squad())}
    assert records["s1"].evidence == ["The Denver Broncos defeated the Carolina Panthers 24–10."]
    assert records["s2"].evidence == ["The game was played on February 7, 2016, at Levi's Stadium."]
    assert records["s3"].evidence == records["s2"].evidence  # found despite the wrong answer_start
    for record in records.values():
        (evidence,) = record.evidence
        assert record.answers[0] in evidence
        assert len(evidence) < len(CONTEXT_1) or record.id.startswith("n")


def test_evidence_spans_sentences_when_the_answer_crosses_a_boundary() -> None:
    context = "He served in the U.S. Army. Later he left. Then he wrote."
    start = context.index("Army. Later")
    evidence = squad.evidence_span(context, start, start + len("Army. Later"))
    assert evidence == "He served in the U.S. Army. Later he left."


def test_written_corpus_holds_every_evidence_string(tmp_path: Path) -> None:
    data = tiny_squad()
    folder = tmp_path / "articles"
    squad.write_articles(squad.articles(data), folder)
    files = sorted(folder.glob("*.txt"))
    assert len(files) == 2
    lines = files[0].read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Super Bowl 50" and lines[1:] == [CONTEXT_1]
    corpus = normalize_text(" ".join(f.read_text(encoding="utf-8") for f in files))
    assert all(normalize_text(e) in corpus for r in squad.squad_records(data) for e in r.evidence)
    assert not (tmp_path / "articles.tmp").exists()


def test_file_hash_follows_the_content(squad_file: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.json"
    copy.write_bytes(squad_file.read_bytes())
    assert squad.file_hash(copy) == squad.file_hash(squad_file)
    copy.write_text(squad_file.read_text() + " ", encoding="utf-8")
    assert squad.file_hash(copy) != squad.file_hash(squad_file)


def test_load_squad_rejects_other_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"questions": []}', encoding="utf-8")
    with pytest.raises(DatasetError, match="not SQuAD v1.1 JSON"):
        squad.load_squad(path)
    path.write_text('{"data": [', encoding="utf-8")
    with pytest.raises(DatasetError, match="bad JSON"):
        squad.load_squad(path)


def test_prepare_ingests_once_into_a_separate_index(
    squad_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.ingest
    from eval.squad_index import prepare
    from index.settings import Settings

    calls: list[tuple[list[Path], Any]] = []

    def fake_ingest(paths: list[Path], settings: Any, *, progress: bool = True) -> dict[str, int]:
        calls.append((list(paths), settings))
        Path(settings.index_dir).mkdir(parents=True)
        return {"paragraphs": 4}

    monkeypatch.setattr(index.ingest, "ingest", fake_ingest)
    base = Settings(index_dir=tmp_path / "user-index")
    first = prepare(squad_file, base, cache_root=tmp_path / "cache", progress=False)
    second = prepare(squad_file, base, cache_root=tmp_path / "cache", progress=False)
    assert len(calls) == 1
    (paths, used), root = calls[0], first.root
    assert root == tmp_path / "cache" / "squad" / squad.file_hash(squad_file)
    assert paths == [root / "articles"] and used.index_dir == root / "index"
    assert used.collection != base.collection
    assert base.index_dir == tmp_path / "user-index"  # the user's settings are untouched
    assert second.settings.index_dir == first.settings.index_dir
    assert first.corpus["documents"] == second.corpus["documents"] == 2
    assert first.corpus["paragraphs"] == 3
    assert first.corpus["indexed"] == second.corpus["indexed"] == {"paragraphs": 4}  # what ingest reported
    assert [r.id for r in second.records] == [r.id for r in first.records]
    import shutil

    shutil.rmtree(first.settings.index_dir)  # a lost index is rebuilt, not trusted to the marker
    prepare(squad_file, base, cache_root=tmp_path / "cache", progress=False)
    assert len(calls) == 2
