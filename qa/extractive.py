"""The default answerer: no LLM, tens of milliseconds, and nothing said that a source does not say word for word.

The trained reader (`qa.reader`) reads every retrieved passage and gives each its best answer span and how strongly
it says "no answer here". The answer is the best span over the passages whose span beats no-answer by more than
the fitted threshold (`Settings.reader_threshold`); it is quoted in the sentence(s) that hold it, verbatim, with
its citation. Other articles whose span says the same thing are cited as corroboration; a confident span of
another article that shares no word with it, about as sure of itself (`Settings.conflict_gap`, fitted), is shown
as the sources differing. When no passage passes the
threshold the answer is a refusal that lists the closest passages as related reading.
"""

from __future__ import annotations

import math

from index.models import Answer, AnswerPart, Citation, Paragraph, Passage, ReadSpan
from index.settings import CONFLICT_GAP, Settings
from qa.answer_text import token_f1
from qa.citations import make_citation
from qa.reader.model import Reader, shared_reader

AGREE_F1 = 0.5  # two spans agree when their SQuAD token F1 is at least this ("Iraqi forces" ~ "Iraqi troops")
MAX_CITATIONS = 3
REFUSAL = "The articles don't answer this question."
RELATED_ITEM = "{title} ({outlet}, paragraph {n}): {first}"  # one closest passage under a refusal


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        reader: Reader,
        threshold: float,
        max_citations: int = MAX_CITATIONS,
        conflict_gap: float = CONFLICT_GAP,
    ) -> None:
        if not isinstance(reader, Reader):
            raise TypeError("reader must be a qa.reader.model.Reader")
        if max_citations < 1:
            raise ValueError("max_citations must be at least 1")
        if conflict_gap < 0:
            raise ValueError("conflict_gap must be at least 0")
        self.reader = reader
        self.threshold = float(threshold)
        self.max_citations = max_citations
        self.conflict_gap = float(conflict_gap)

    @classmethod
    def from_defaults(cls, settings: Settings) -> ExtractiveAnswerer:
        reader = shared_reader(settings.reader_dir)
        return cls(reader, settings.reader_threshold, conflict_gap=settings.conflict_gap)

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
        docs = {span.paragraph_id: by_id[span.paragraph_id].doc_id for span in confident}
        for other, relation in related_spans(confident, docs, self.conflict_gap, self.max_citations):
            n = len(citations) + 1
            citations.append(_cite(n, by_id[other.paragraph_id], other))
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
            text = RELATED_ITEM.format(title=para.title, outlet=para.source or para.doc_id, n=para.n, first=first)
            parts.append(AnswerPart(kind="related", text=text))
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


def related_spans(
    confident: list[ReadSpan], docs: dict[str, str], gap: float, max_citations: int
) -> list[tuple[ReadSpan, str]]:
    """The other articles' spans the answer cites beside the best one (`confident[0]`), each with its relation:
    one span per article, at most `max_citations` in all, spans that neither agree nor conflict left out."""
    best, out = confident[0], list[tuple[ReadSpan, str]]()
    cited_docs = {docs[best.paragraph_id]}
    for other in confident[1:]:
        if docs[other.paragraph_id] in cited_docs or len(out) + 1 >= max_citations:
            continue
        relation = span_relation(best, other, gap)
        if relation is not None:
            out.append((other, relation))
            cited_docs.add(docs[other.paragraph_id])
    return out


def span_relation(best: ReadSpan, other: ReadSpan, gap: float) -> str | None:
    """ "agree" when the spans say the same (token F1), "conflict" when they share no word and `other` is about as
    sure of itself as `best` (score and margin within `gap`)."""
    agreement = token_f1(best.text, other.text)
    if agreement >= AGREE_F1:
        return "agree"
    sure_alike = best.score - other.score <= gap and best.margin - other.margin <= gap
    return "conflict" if agreement == 0.0 and sure_alike else None


def _support(margin: float) -> float:
    """The margin as 0..1 (a logistic curve: 0.5 where the span and no-answer tie)."""
    return 1.0 / (1.0 + math.exp(-margin))
