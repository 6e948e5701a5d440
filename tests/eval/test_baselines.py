"""The first-sentence baseline: a real, checkable answer built the naive way."""

from __future__ import annotations

import pytest

from eval.baselines import NAME, FirstSentenceAnswerer, first_sentence_answer
from index.models import Paragraph, Passage, Span

pytestmark = pytest.mark.unit


def offset_passage() -> Passage:
    """A paragraph that starts at offset 100 of its file, with stored sentence offsets."""
    text = "Iraqi forces retook eastern Mosul in Jan. 2017. The battle lasted months."
    paragraph = Paragraph(
        id="doc#3", doc_id="doc", n=3, text=text, start=100, end=100 + len(text),
        sentences=[Span(start=100, end=147), Span(start=148, end=100 + len(text))],
    )  # fmt: skip
    return Passage(paragraph=paragraph, rank=1, score=1.0)


def test_first_sentence_is_quoted_verbatim_and_cited() -> None:
    answer = first_sentence_answer("Who retook Mosul?", [offset_passage()])
    assert answer.text == "“Iraqi forces retook eastern Mosul in Jan. 2017.” [1]"
    assert [part.kind for part in answer.parts] == ["quote"]
    assert answer.short_answer is None and not answer.refused and answer.answerer == NAME
    (citation,) = answer.citations
    assert (citation.n, citation.paragraph_id, citation.verified) == (1, "doc#3", True)
    assert citation.quote == "Iraqi forces retook eastern Mosul in Jan. 2017."
    original = " " * 100 + offset_passage().paragraph.text
    assert original[citation.start : citation.end] == citation.quote  # offsets are file offsets


def test_sentences_are_split_when_the_paragraph_has_none(passages) -> None:
    answer = first_sentence_answer("q", passages(("a#1", "First one. Second one."), ("b#1", "Other.")))
    assert answer.citations[0].quote == "First one."
    assert answer.citations[0].paragraph_id == "a#1"
    assert len(answer.passages) == 2


def test_nothing_retrieved_is_a_refusal() -> None:
    answer = first_sentence_answer("q", [])
    assert answer.refused and answer.citations == [] and answer.short_answer is None


def test_answerer_uses_the_retriever_k_and_rewrite(fake_retriever) -> None:
    retriever = fake_retriever([("a#1", "alpha text. more."), ("b#1", "beta text.")])
    answerer = FirstSentenceAnswerer(retriever, k=1, rewrite=lambda q, h: f"{h[-1]} beta")
    answer = answerer.ask("and then?", history=["earlier"])
    assert retriever.calls == [("earlier beta", 1)]
    assert answer.standalone_question == "earlier beta"
    assert answer.citations[0].paragraph_id == "b#1"
    assert set(answer.timings) == {"retrieve", "answer", "total"}
    assert answer.timings["total"] >= answer.timings["retrieve"]
    answerer.ask("alpha", k=2)  # no history: the question is searched as asked, with the k given
    assert retriever.calls[-1] == ("alpha", 2)
