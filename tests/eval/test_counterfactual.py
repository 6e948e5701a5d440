"""The counterfactual set: twins with a swapped claim of the same kind, and the scoring of what an answer did."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.counterfactual import (
    CounterfactualQuestion,
    answer_kind,
    build_questions,
    score_answer,
    summarize,
    twin_text,
    write_corpus,
)
from index.models import Answer, AnswerPart, Citation, Paragraph, Passage

pytestmark = pytest.mark.unit

CONTEXT_A = "The bridge was opened by Maria Lopez in 1998. It cost 40 million dollars to build."
CONTEXT_B = "The tunnel was dug by Hans Weber in 2004. Its length is 12 kilometres."


def tiny_squad() -> dict:
    def qa(qid: str, question: str, text: str, context: str) -> dict:
        return {"id": qid, "question": question, "answers": [{"text": text, "answer_start": context.index(text)}]}

    return {
        "data": [
            {
                "title": "Bridges_and_tunnels",
                "paragraphs": [
                    {"context": CONTEXT_A, "qas": [qa("a1", "Who opened the bridge?", "Maria Lopez", CONTEXT_A),
                                                   qa("a2", "When was the bridge opened?", "1998", CONTEXT_A)]},
                    {"context": CONTEXT_B, "qas": [qa("b1", "Who dug the tunnel?", "Hans Weber", CONTEXT_B),
                                                   qa("b2", "When was the tunnel dug?", "2004", CONTEXT_B)]},
                ],
            }
        ]
    }  # fmt: skip


def test_kinds() -> None:
    assert [answer_kind(t) for t in ("1998", "March 3, 2005", "40 million", "Maria Lopez", "Bank of England")] == [
        "date", "date", "number", "name", "name"
    ]  # fmt: skip
    assert answer_kind("by the river") == "other"


def test_each_swap_is_another_answer_of_the_same_kind_from_the_same_article() -> None:
    questions = build_questions(tiny_squad(), size=10)
    assert {q.id for q in questions} == {"a1", "a2", "b1", "b2"}
    swaps = {q.id: q.swapped for q in questions}
    assert swaps == {"a1": "Hans Weber", "a2": "2004", "b1": "Maria Lopez", "b2": "1998"}
    assert len({q.twin for q in questions}) == 4
    again = build_questions(tiny_squad(), size=10)
    assert [(q.id, q.swapped, q.twin) for q in again] == [(q.id, q.swapped, q.twin) for q in questions]  # seeded


def test_the_twin_says_the_swapped_claim_only(tmp_path: Path) -> None:
    questions = build_questions(tiny_squad(), size=10)
    a1 = next(q for q in questions if q.id == "a1")
    text = twin_text(a1, "Bridges and tunnels")
    assert "Hans Weber" in text and "Maria Lopez" not in text and "40 million dollars" in text
    write_corpus(tiny_squad(), questions, tmp_path / "corpus")
    files = sorted(p.name for p in (tmp_path / "corpus").iterdir())
    assert files == ["000_bridges_and_tunnels.txt", *[f"{q.twin}.txt" for q in questions]]


def passage(doc: str, n: int, text: str, rank: int) -> Passage:
    paragraph = Paragraph(id=f"{doc}#{n}", doc_id=doc, n=n, text=text, start=0, end=len(text), path=f"/x/{doc}.txt")
    return Passage(paragraph=paragraph, rank=rank, score=1.0 / rank)


def cite(n: int, p: Passage, span: str) -> Citation:
    """A citation of the whole paragraph, with `span` as the answer words it marks."""
    text, at = p.paragraph.text, p.paragraph.text.index(span)
    return Citation(n=n, paragraph_id=p.id, doc_id=p.paragraph.doc_id, start=0, end=len(text), quote=text,
                    verified=True, answer_start=at, answer_end=at + len(span))  # fmt: skip


ITEM = CounterfactualQuestion("a1", "Who opened the bridge?", ["Maria Lopez"], "Hans Weber", "000_b", "twin_0000",
                              CONTEXT_A)  # fmt: skip
TRUE = passage("000_b", 1, CONTEXT_A, 1)
TWIN = passage("twin_0000", 1, CONTEXT_A.replace("Maria Lopez", "Hans Weber"), 2)


def test_a_flagged_conflict_is_counted_and_a_corroborating_twin_is_the_worst_failure() -> None:
    flagged = Answer(
        question=ITEM.question,
        parts=[AnswerPart(kind="answer", text="Maria Lopez"),
               AnswerPart(kind="differ", text="Maria Lopez", answer="Hans Weber", citations=[1, 2])],
        short_answer="Maria Lopez", citations=[cite(1, TRUE, "Maria Lopez"), cite(2, TWIN, "Hans Weber")],
        passages=[TRUE, TWIN],
    )  # fmt: skip
    row = score_answer(ITEM, flagged)
    assert (row["both_read"], row["flagged"], row["led"], row["bad_corroborations"]) == (True, True, "true", 0)

    corroborated = Answer(
        question=ITEM.question,
        parts=[AnswerPart(kind="answer", text="Hans Weber"),
               AnswerPart(kind="corroboration", text=CONTEXT_A, citations=[2])],
        short_answer="Hans Weber", citations=[cite(1, TWIN, "Hans Weber"), cite(2, TRUE, "Maria Lopez")],
        passages=[TRUE, TWIN],
    )  # fmt: skip
    row2 = score_answer(ITEM, corroborated)
    assert (row2["flagged"], row2["led"], row2["bad_corroborations"], row2["twin_corroborates"]) == (
        False, "swapped", 1, True
    )  # fmt: skip

    only_true = Answer(question=ITEM.question, refused=True, passages=[TRUE])
    row3 = score_answer(ITEM, only_true)
    assert (row3["both_read"], row3["led"]) == (False, "refused")

    summary = summarize([row, row2, row3])
    assert summary["both_read"] == 2 and summary["flagged_when_both_read"] == 1 and summary["flag_rate"] == 0.5
    assert summary["led"] == {"true": 1, "swapped": 1, "other": 0, "refused": 1}
    assert summary["bad_corroborations"] == 1 and summary["twin_cited_as_corroboration"] == 1
