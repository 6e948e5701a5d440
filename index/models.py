"""The data model shared by every layer: paragraphs, chunks, passages, citations, answers.

Offsets (`start`, `end`) are always character offsets into the original file's decoded text (for an article of a
JSON archive, into its record's text field), so that `original[start:end] == text` holds for a paragraph, a sentence
and a quoted piece of evidence alike. That identity is what makes a citation checkable.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from index.dates import DateSource

PartKind = Literal[
    "answer", "quote", "dated", "corroboration", "conflict", "differ", "refusal", "related", "sentence", "unsupported"
]
PROSE_KINDS = ("sentence", "unsupported")  # generated sentences: one paragraph of running text
UNSUPPORTED_MARK = "⚠ unsupported"
RELATED_HEADING = "Closest passages, as related reading:"
DIFFER_LEAD = "The answer above is the one the reader is surer of; check both sources."
# How each kind of part reads: literal words, and slots filled from the part ("{text}", "{answer}", "{cite}" for its
# citations, "{cite0}"/"{cite1}" for one of them; "{body}"/"{end}": the text and its closing punctuation).
# Styles: plain, bold, quote (curly quotes), cite (an [n] marker).
PART_TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "answer": [("bold", "{text}")],
    "quote": [("quote", "{text}"), ("plain", " "), ("cite", "{cite}")],
    "corroboration": [("plain", "Also reported by "), ("cite", "{cite}"), ("plain", ": "), ("quote", "{text}")],
    "conflict": [
        ("plain", "Another article gives "),
        ("bold", "{answer}"),
        ("plain", " "),
        ("cite", "{cite}"),
        ("plain", ": "),
        ("quote", "{text}"),
    ],
    "differ": [
        ("plain", "The sources differ: {text} "),
        ("cite", "{cite0}"),
        ("plain", " versus {answer} "),
        ("cite", "{cite1}"),
        ("plain", ". " + DIFFER_LEAD),
    ],
    "dated": [
        ("plain", "Reported on {text} "),
        ("cite", "{cite}"),
        ("plain", ", outside the period asked about: {answer}."),
    ],
    "refusal": [("plain", "{text}")],
    "related": [("plain", "{text}")],
    "sentence": [("plain", "{body}"), ("plain", " "), ("cite", "{cite}"), ("plain", "{end}")],
    "unsupported": [("plain", "{text} (" + UNSUPPORTED_MARK + ")")],
}


class Span(BaseModel):
    """A range of the original text, e.g. one sentence of a paragraph."""

    start: int
    end: int


class Paragraph(BaseModel):
    """The citation unit."""

    id: str = Field(description='"{doc_id}#{n}"')
    doc_id: str = Field(description="the file stem")
    n: int = Field(description="the paragraph's number among the article's body paragraphs, from 1")
    text: str
    title: str = ""
    source: str = Field(default="", description='the outlet or dateline, e.g. "Alwaght"')
    path: str = ""
    start: int
    end: int
    content_hash: str = Field(default="", description="hash of the file (or JSON record) this paragraph came from")
    published: date | None = Field(default=None, description="the article's publication day; None: unknown")
    published_from: DateSource = Field(default="", description="where the date was read: html, record, dateline...")
    url: str = Field(default="", description="the article's address, when its page or record gives one")
    sentences: list[Span] = Field(default_factory=list, description="sentence offsets, in the original file")

    def sentence_texts(self) -> list[str]:
        return [self.quote(s.start, s.end) for s in self.sentences]

    def quote(self, start: int, end: int) -> str:
        """The text of the original file between two offsets that fall inside this paragraph."""
        return self.text[start - self.start : end - self.start]


class Chunk(BaseModel):
    """What is embedded and stored: a paragraph, or a sentence-aligned piece of a long one."""

    id: str = Field(description='"{paragraph_id}:{piece}"')
    paragraph_id: str
    piece: int = 0
    text: str
    start: int
    end: int


class Passage(BaseModel):
    """A retrieved paragraph with the scores that put it where it is."""

    paragraph: Paragraph
    rank: int = Field(description="1-based rank after fusion")
    score: float = Field(description="fused reciprocal-rank score")
    dense_score: float | None = None
    dense_rank: int | None = None
    keyword_score: float | None = None
    keyword_rank: int | None = None
    date_weight: float | None = Field(
        default=None, description="when the query names a period: how its article's date scaled the fused score"
    )

    @property
    def id(self) -> str:
        return self.paragraph.id

    @property
    def text(self) -> str:
        return self.paragraph.text


class ReadSpan(BaseModel):
    """The reader's best answer span in one passage, and how strongly that passage says "no answer here"."""

    paragraph_id: str
    text: str
    start: int = Field(description="offset of the span in the original file")
    end: int
    score: float = Field(description="start + end logit of the span; comparable across passages of one question")
    no_answer_score: float = Field(description="the passage's no-answer ([CLS]) logit sum")

    @property
    def margin(self) -> float:
        """How much the span beats "no answer" in its own passage; the refusal threshold applies to this."""
        return self.score - self.no_answer_score


class Citation(BaseModel):
    """One `[n]` marker: which paragraph, and exactly which words of it, support the claim."""

    n: int
    paragraph_id: str
    doc_id: str
    title: str = ""
    source: str = ""
    published: date | None = Field(default=None, description="the cited article's publication day; None: unknown")
    url: str = ""
    quote: str = Field(description="verbatim evidence from the paragraph")
    start: int = Field(description="offset of the quote in the original file")
    end: int
    verified: bool = Field(description="the quote was found verbatim in the paragraph at these offsets")
    support: float = Field(default=1.0, description="how strongly the quote supports the claim, 0..1")
    answer_start: int | None = Field(default=None, description="offset of the answer's words inside the quote")
    answer_end: int | None = Field(default=None, description="end of the answer's words (file offsets, like start)")

    @property
    def published_label(self) -> str:
        """The article's day as shown beside every citation: ISO, or "date unknown"."""
        return self.published.isoformat() if self.published else "date unknown"


class AnswerPart(BaseModel):
    """One piece of an answer as data. Every interface renders these (`segments()`); none parses `Answer.text`."""

    kind: PartKind
    text: str = Field(description="the words: a short answer, a verbatim quote, a generated sentence, a passage")
    answer: str = Field(default="", description="conflict/differ: the other article's answer")
    citations: list[int] = Field(default_factory=list, description="the [n] this part rests on")

    def segments(self) -> list[tuple[str, str | int]]:
        """(style, value) pairs: ("plain"|"bold"|"quote", words) or ("cite", n), in reading order."""
        out: list[tuple[str, str | int]] = []
        for style, template in PART_TEMPLATES[self.kind]:
            if style != "cite":
                body = self.text.rstrip(".!?")
                words = template.format(text=self.text, answer=self.answer, body=body, end=self.text[len(body) :])
                out.append((style, words))
                continue
            which = template.strip("{}").removeprefix("cite")  # "" = all of them, "0"/"1" = one
            chosen = self.citations if not which else self.citations[int(which) : int(which) + 1]
            out += [("cite", n) for n in chosen]
        return out

    def markdown(self) -> str:
        """This part as markdown: **bold**, “quotes” (unless the quote brings its own), [n] markers."""
        words = []
        for style, value in self.segments():
            if style == "cite":
                words.append(f"[{value}]")
            elif style == "bold":
                words.append(f"**{value}**")
            elif style == "quote" and needs_quote_marks(str(value)):
                words.append(f"“{value}”")
            else:
                words.append(str(value))
        return "".join(words).strip()


def needs_quote_marks(text: str) -> bool:
    """Whether a quoted passage gets curly quotes around it: not when it opens with its own quotation mark."""
    return text[:1] not in "“\"‘'"


def parts_markdown(parts: list[AnswerPart]) -> str:
    """The answer's markdown: a paragraph per part, generated sentences run together, related reading a list."""
    blocks: list[str] = []
    previous = ""
    for part in parts:
        line = part.markdown()
        if part.kind in PROSE_KINDS and previous in PROSE_KINDS:
            blocks[-1] += " " + line
        elif part.kind == "related" and previous == "related":
            blocks[-1] += "\n- " + line
        elif part.kind == "related":
            blocks.append(f"{RELATED_HEADING}\n- {line}")
        else:
            blocks.append(line)
        previous = part.kind
    return "\n\n".join(blocks)


class Answer(BaseModel):
    question: str
    standalone_question: str = Field(default="", description="the question after follow-up rewriting")
    context: str = Field(default="", description="an earlier question searched with a follow-up for its topic")
    text: str = Field(default="", description="markdown with [n] markers (rendered from `parts` when they are given)")
    parts: list[AnswerPart] = Field(default_factory=list, description="the answer as data, in reading order")
    short_answer: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    refused: bool = False
    conflicting: bool = Field(
        default=False, description="another source gives a different answer: a `differ` part names both, cited"
    )
    answerer: str = "extractive"
    notices: list[str] = Field(default_factory=list, description="things the user should know, e.g. truncation")
    unsupported: list[str] = Field(default_factory=list, description="generated sentences no source supports")
    timings: dict[str, float] = Field(default_factory=dict, description="milliseconds: retrieve, answer, total")

    @model_validator(mode="after")
    def _text_from_parts(self) -> Answer:
        if self.parts and not self.text:
            self.text = parts_markdown(self.parts)
        self.conflicting = self.conflicting or any(part.kind == "differ" for part in self.parts)
        return self

    @property
    def search_text(self) -> str:
        """What retrieval was asked: the standalone question and its context."""
        return f"{self.standalone_question or self.question} {self.context}".strip()
