"""The default answerer: no LLM, tens of milliseconds, and nothing said that a source does not say word for word.

The trained reader (`qa.reader`) reads every retrieved passage and gives each its best answer span and how strongly
it says "no answer here". The answer is the best span over the passages whose span beats no-answer by more than
the fitted threshold (`Settings.reader_threshold`); it is quoted in the sentence(s) that hold it, verbatim, with
its citation. Other articles whose span says the same thing are cited as corroboration; a confident span of
another article that shares no word with it is shown as the sources differing. When no passage passes the
threshold the answer is a refusal that lists the closest passages as related reading.
"""

from __future__ import annotations

import math

from index.models import Answer, AnswerPart, Citation, Paragraph, Passage, ReadSpan
from index.settings import Settings
from qa.answer_text import token_f1
from qa.citations import make_citation
from qa.reader.model import Reader, shared_reader

AGREE_F1 = 0.5  # two spans agree when their SQuAD token F1 is at least this ("Iraqi forces" ~ "Iraqi troops")
CONFLICT_GAP = 1.0  # a span sharing no word with the answer, as sure of itself (score and margin within this), differs
MAX_CITATIONS = 3
REFUSAL = "The articles don't answer this question."


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, reader: Reader, threshold: float, max_citations: int = MAX_CITATIONS) -> None:
        if not isinstance(reader, Reader):
            raise TypeError("reader must be a qa.reader.model.Reader")
        if max_citations < 1:
            raise ValueError("max_citations must be at least 1")
        self.reader = reader
        self.threshold = float(threshold)
        self.max_citations = max_citations

    @classmethod
    def from_defaults(cls, settings: Settings) -> ExtractiveAnswerer:
        return cls(shared_reader(settings.reader_dir), settings.reader_threshold)

    def warm_up(self) -> None:
        self.reader.warm_up()

    def answer(self, question: str, passages: list[Passage], asked: str | None = None) -> Answer:
        """Read `question` (standalone) in the passages; the Answer repeats `asked`, the user's own words."""
        asked = asked or question
        by_id = {p.id: p.paragraph for p in passages}
        spans = self.reader.read(question, [p.paragraph for p in passages]) if passages else []
        confident = [s for s in spans if s.margin > self.threshold]
        if not confident:
            return self.refusal(asked, passages, spans[0] if spans else None)
        best = confident[0]
        citations = [_cite(1, by_id[best.paragraph_id], best)]
        parts = [
            AnswerPart(kind="answer", text=best.text),
            AnswerPart(kind="quote", text=citations[0].quote, citations=[1]),
        ]
        differing = []
        cited_docs = {by_id[best.paragraph_id].doc_id}
        for other in confident[1:]:
            paragraph = by_id[other.paragraph_id]
            if paragraph.doc_id in cited_docs or len(citations) >= self.max_citations:
                continue
            relation = _relation(best, other)
            if relation is None:
                continue
            n = len(citations) + 1
            citations.append(_cite(n, paragraph, other))
            cited_docs.add(paragraph.doc_id)
            if relation == "conflict":
                parts.append(AnswerPart(kind="conflict", text=citations[-1].quote, answer=other.text, citations=[n]))
                differing.append(AnswerPart(kind="differ", text=best.text, answer=other.text, citations=[1, n]))
            else:
                parts.append(AnswerPart(kind="corroboration", text=citations[-1].quote, citations=[n]))
        return Answer(
            question=asked,
            parts=parts + differing,
            short_answer=best.text,
            citations=citations,
            passages=passages,
            answerer=self.name,
        )

    def refusal(self, asked: str, passages: list[Passage], closest: ReadSpan | None = None) -> Answer:
        parts = [AnswerPart(kind="refusal", text=REFUSAL)]
        for p in passages[:3]:
            para = p.paragraph
            first = para.sentence_texts()[0] if para.sentences else para.text
            parts.append(
                AnswerPart(
                    kind="related", text=f"{para.title} ({para.source or para.doc_id}, paragraph {para.n}): {first}"
                )
            )
        if closest is None:
            reason = "no passage was found to read"
        else:
            reason = (
                f"the reader's best span, “{closest.text}”, beats “no answer” by {closest.margin:.2f}, not more than "
                f"the threshold {self.threshold:.2f} (CITED_READER_THRESHOLD)"
            )
        return Answer(
            question=asked,
            parts=parts,
            passages=passages,
            refused=True,
            answerer=self.name,
            notices=[reason],
        )


def quote_bounds(paragraph: Paragraph, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) of the paragraph that hold [start, end): what is quoted around an answer span."""
    inside = [s for s in paragraph.sentences if s.start < end and start < s.end]
    if not inside:
        return paragraph.start, paragraph.end
    return inside[0].start, inside[-1].end


def _cite(n: int, paragraph: Paragraph, span: ReadSpan) -> Citation:
    start, end = quote_bounds(paragraph, span.start, span.end)
    return make_citation(n, paragraph, start, end, support=_support(span.margin), answer=(span.start, span.end))


def _relation(best: ReadSpan, other: ReadSpan) -> str | None:
    """ "agree" when the spans say the same (token F1), "conflict" when they share no word and are about as sure."""
    agreement = token_f1(best.text, other.text)
    if agreement >= AGREE_F1:
        return "agree"
    sure_alike = best.score - other.score <= CONFLICT_GAP and best.margin - other.margin <= CONFLICT_GAP
    return "conflict" if agreement == 0.0 and sure_alike else None


def _support(margin: float) -> float:
    """The margin as 0..1 (a logistic curve: 0.5 where the span and no-answer tie)."""
    return 1.0 / (1.0 + math.exp(-margin))
