"""The default answerer: no LLM, tens of milliseconds, and nothing said that a source does not say word for word.

The trained reader (`qa.reader`) reads every retrieved passage and gives each its best answer span and how strongly
it says "no answer here". The answer is the best span over the passages whose span beats no-answer by more than
the fitted threshold (`Settings.reader_threshold`); it is quoted in the sentence(s) that hold it, verbatim, with
its citation. Other articles whose span gives the same answer are cited as corroboration; a confident span of
another article that reports the same event with a different answer (`qa.agreement`, fitted settings) is shown
as the sources differing. When no passage passes the threshold the answer is a refusal that lists the closest
passages as related reading.
"""

from __future__ import annotations

import math

from index.models import Answer, AnswerPart, Citation, Paragraph, Passage, ReadSpan
from index.settings import CONFLICT_GAP, CONFLICT_SAME_EVENT, Settings
from qa.agreement import ConflictRule, Relation, quote_bounds
from qa.citations import make_citation
from qa.reader.model import Reader, shared_reader
from qa.timeframe import Window

DEFAULT_CONFLICT_RULE = ConflictRule(same_event=CONFLICT_SAME_EVENT, gap=CONFLICT_GAP)
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
        conflict_rule: ConflictRule = DEFAULT_CONFLICT_RULE,
    ) -> None:
        if not isinstance(reader, Reader):
            raise TypeError("reader must be a qa.reader.model.Reader")
        if max_citations < 1:
            raise ValueError("max_citations must be at least 1")
        self.reader = reader
        self.threshold = float(threshold)
        self.max_citations = max_citations
        self.conflict_rule = conflict_rule

    @classmethod
    def from_defaults(cls, settings: Settings) -> ExtractiveAnswerer:
        reader = shared_reader(settings.reader_dir, settings.reader_runtime, settings.encoder_cache_dir)
        rule = ConflictRule(same_event=settings.conflict_same_event, gap=settings.conflict_gap)
        return cls(reader, settings.reader_threshold, conflict_rule=rule)

    def warm_up(self) -> None:
        self.reader.warm_up()

    def answer(
        self, question: str, passages: list[Passage], asked: str | None = None, window: Window | None = None
    ) -> Answer:
        """Read `question` (standalone) in the passages; the Answer repeats `asked`, the user's own words. With a
        `window` (the days the question asks about), spans from articles dated inside it come first, and an answer
        from an article outside it says when that article was reported."""
        asked = asked or question
        by_id = {p.id: p.paragraph for p in passages}
        spans = self.reader.read(question, [p.paragraph for p in passages]) if passages else []
        confident = [s for s in spans if s.margin > self.threshold]
        if not confident:
            return self.refusal(asked, passages, spans[0] if spans else None)
        confident = in_window_first(confident, by_id, window)
        best = confident[0]
        citations = [_cite(1, by_id[best.paragraph_id], best)]
        parts = [
            AnswerPart(kind="answer", text=best.text),
            AnswerPart(kind="quote", text=citations[0].quote, citations=[1]),
        ]
        parts += dated_parts(citations[0], window)
        differing = []
        for other, relation in related_spans(confident, by_id, self.conflict_rule, self.max_citations):
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


def in_window_first(
    confident: list[ReadSpan], paragraphs: dict[str, Paragraph], window: Window | None
) -> list[ReadSpan]:
    """The spans of articles inside the window (or undated) by score, then, only when there are none, the others:
    a look-alike story from another year neither answers a question about this week nor contradicts its answer."""
    if window is None:
        return confident
    inside = [s for s in confident if window.weight(paragraphs[s.paragraph_id].published) == 1.0]
    return inside or confident


def dated_parts(citation: Citation, window: Window | None) -> list[AnswerPart]:
    """ "Reported on 2021-01-12, outside …" when the cited article lies outside the window the question names."""
    if window is None or citation.published is None or not window.distance(citation.published):
        return []
    return [AnswerPart(kind="dated", text=citation.published.isoformat(), answer=window.describe(), citations=[1])]


def _cite(n: int, paragraph: Paragraph, span: ReadSpan) -> Citation:
    start, end = quote_bounds(paragraph, span.start, span.end)
    return make_citation(n, paragraph, start, end, support=_support(span.margin), answer=(span.start, span.end))


def related_spans(
    confident: list[ReadSpan], paragraphs: dict[str, Paragraph], rule: ConflictRule, max_citations: int
) -> list[tuple[ReadSpan, Relation]]:
    """The other articles' spans the answer cites beside the best one (`confident[0]`), each with its relation: one
    span per article (its best), spans that neither agree nor conflict left out, at most `max_citations` in all —
    rival claims first, so a contradiction is never crowded out by corroboration."""
    best, candidates = confident[0], list[tuple[ReadSpan, Relation]]()
    seen_docs = {paragraphs[best.paragraph_id].doc_id}
    for other in confident[1:]:
        doc = paragraphs[other.paragraph_id].doc_id
        if doc in seen_docs:
            continue
        seen_docs.add(doc)
        relation = rule.relation(best, paragraphs[best.paragraph_id], other, paragraphs[other.paragraph_id])
        if relation is not None:
            candidates.append((other, relation))
    candidates.sort(key=lambda pair: pair[1] != "conflict")  # stable: by score within each kind
    return candidates[: max_citations - 1]


def _support(margin: float) -> float:
    """The margin as 0..1 (a logistic curve: 0.5 where the span and no-answer tie)."""
    return 1.0 / (1.0 + math.exp(-margin))
