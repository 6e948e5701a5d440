"""A deliberately naive answerer, to show what the extractive answerer adds over 'quote the top passage'.

It uses the same retriever, so a comparison with it isolates the answering step: any gain in short-answer
scores or citation precision is the sentence scorer's, not retrieval's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from time import perf_counter

from eval.protocols import RetrieverLike
from index.models import Answer, AnswerPart, Passage
from index.sentences import split_sentences
from qa.citations import make_citation

NAME = "first-sentence"
REFUSAL = "The articles don't say."


def first_sentence_answer(question: str, passages: Sequence[Passage], standalone_question: str = "") -> Answer:
    """The first sentence of the top passage, cited as [1]; a refusal when nothing was retrieved."""
    if not passages:
        return Answer(
            question=question,
            standalone_question=standalone_question or question,
            parts=[AnswerPart(kind="refusal", text=REFUSAL)],
            refused=True,
            answerer=NAME,
        )
    top = passages[0].paragraph
    spans = [(s.start, s.end) for s in top.sentences] or split_sentences(top.text, offset=top.start)
    start, end = spans[0] if spans else (top.start, top.end)
    citation = make_citation(1, top, start, end)
    return Answer(
        question=question,
        standalone_question=standalone_question or question,
        parts=[AnswerPart(kind="quote", text=citation.quote, citations=[1])],
        short_answer=None,
        citations=[citation],
        passages=list(passages),
        answerer=NAME,
    )


class FirstSentenceAnswerer:
    """The baseline behind qa's `ask()`; `rewrite` lets it search with the same follow-up rewrites."""

    name = NAME

    def __init__(
        self,
        retriever: RetrieverLike,
        k: int | None = None,
        rewrite: Callable[[str, list[str]], str] | None = None,
    ) -> None:
        self.retriever = retriever
        self.k = k
        self.rewrite = rewrite

    def ask(
        self, question: str, history: list[str] | None = None, k: int | None = None, as_of: date | None = None
    ) -> Answer:
        t0 = perf_counter()
        standalone = self.rewrite(question, history) if self.rewrite and history else question
        passages = self.retriever.retrieve(standalone, k=k or self.k, as_of=as_of)
        t1 = perf_counter()
        answer = first_sentence_answer(question, passages, standalone)
        t2 = perf_counter()
        answer.timings = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}
        return answer
