"""The default answerer: no LLM, milliseconds, and nothing said that a source does not say word for word.

It scores every sentence of the retrieved paragraphs (meaning, shared rare words, whether it holds the kind of
thing asked for), quotes the best one verbatim with its citation, pulls a short answer out of it from the entities
and noun phrases found at ingest, cites other articles that state the same thing, points out when they give a
different figure, and refuses when the best support is too weak.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from index.models import Answer, Citation, Paragraph, Passage
from index.snapshot import Snapshot
from qa.citations import make_citation
from qa.question import TYPE_LABELS, Question, terms

# Weights of the sentence score and the refusal threshold, calibrated on eval/datasets/articles.jsonl (see README).
W_SIM, W_KW, W_PKW, W_TYPE, W_RANK = 0.40, 0.25, 0.12, 0.15, 0.08
REFUSE_BELOW = 0.30
CORROBORATE_SIM = 0.62
CONFLICT_SIM = 0.75
PAIR_PENALTY = 0.04
NAMES_OVERRIDE_SUPPORT = 0.55
NUMERIC_KINDS = frozenset({"number", "percent", "distance"})

GROUP_NOUNS = frozenset(
    [
        "forces",
        "force",
        "troops",
        "army",
        "militia",
        "militias",
        "fighters",
        "police",
        "government",
        "coalition",
        "group",
        "groups",
        "militants",
        "commanders",
        "command",
        "service",
        "units",
        "peshmerga",
        "tribes",
        "officials",
        "ministry",
        "council",
    ]
)


@dataclass
class Candidate:
    passage: Passage
    row: int
    start: int
    end: int
    text: str
    sim: float
    kw: float
    typed: float
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    para_kw: float = 0.0
    short: str | None = None
    pair: bool = False  # two adjacent sentences of one paragraph, e.g. a quote and its attribution

    @property
    def support(self) -> float:
        return 0.5 * self.sim + 0.5 * self.kw

    @property
    def score(self) -> float:
        return (
            W_SIM * self.sim + W_KW * self.kw + W_PKW * self.para_kw + W_TYPE * self.typed + W_RANK / self.passage.rank
        )


_IDF: dict[str, dict[str, float]] = {}


def _idf(snapshot: Snapshot) -> dict[str, float]:
    """Inverse document frequency of every term, once per index version."""
    if snapshot.version in _IDF:
        return _IDF[snapshot.version]
    df: dict[str, int] = {}
    for p in snapshot.paragraphs:
        for t in set(terms(p.text)):
            df[t] = df.get(t, 0) + 1
    n = max(len(snapshot.paragraphs), 1)
    _IDF.clear()  # one index version is live at a time; keep only its table
    _IDF[snapshot.version] = {t: math.log(1 + n / c) for t, c in df.items()}
    return _IDF[snapshot.version]


def _keyword_overlap(question_terms: tuple[str, ...], sentence_terms: set[str], idf: dict[str, float], n: int) -> float:
    if not question_terms:
        return 0.0
    unseen = math.log(1 + n)
    total = sum(idf.get(t, unseen) for t in question_terms)
    hit = sum(idf.get(t, unseen) for t in question_terms if t in sentence_terms)
    return hit / total if total else 0.0


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, refuse_below: float = REFUSE_BELOW, max_quotes: int = 2) -> None:
        if not 0.0 <= refuse_below <= 1.0:
            raise ValueError("refuse_below must be within 0..1")
        self.refuse_below = refuse_below
        self.max_quotes = max_quotes

    # --- scoring -----------------------------------------------------------------------------------------------
    def candidates(
        self, question: Question, passages: list[Passage], qvec: np.ndarray | None, snapshot: Snapshot
    ) -> list[Candidate]:
        idf = _idf(snapshot)
        n = len(snapshot.paragraphs)
        out = []
        for passage in passages:
            pi = snapshot.by_id.get(passage.id)
            if pi is None:
                continue
            paragraph = snapshot.paragraphs[pi]
            para_kw = _keyword_overlap(question.terms, set(terms(paragraph.text)), idf, n)
            prev: Candidate | None = None
            for row in snapshot.sentence_rows(pi):
                si = int(snapshot.sentence_owner[row, 1])
                span = paragraph.sentences[si]
                text = paragraph.quote(span.start, span.end)
                sim = float(snapshot.sentence_vectors[row] @ qvec) if qvec is not None else 0.0
                kw = _keyword_overlap(question.terms, set(terms(text)), idf, n)
                spans = snapshot.sentence_spans[row] if row < len(snapshot.sentence_spans) else []
                cand = Candidate(passage, int(row), span.start, span.end, text, max(sim, 0.0), kw, 0.0, spans, para_kw)
                out.append(self._typed(question, cand))
                # A pair earns its place when one sentence holds the answer the other lacks (a quote and its
                # attribution); two sentences that both hold one would only let the wrong one win.
                if prev is not None and (question.kind == "any" or (prev.short is None) != (cand.short is None)):
                    out.append(self._typed(question, self._pair(prev, cand, paragraph, question, idf, n)))
                prev = cand
        out.sort(key=lambda c: -c.score)
        return out

    def _typed(self, question: Question, cand: Candidate) -> Candidate:
        if question.kind != "any":
            cand.short = self.short_answer(question, cand)
            cand.typed = 1.0 if cand.short else 0.0
        else:
            cand.typed = 1.0
        return cand

    @staticmethod
    def _pair(
        a: Candidate, b: Candidate, paragraph: Paragraph, question: Question, idf: dict[str, float], n: int
    ) -> Candidate:
        text = paragraph.quote(a.start, b.end)
        shift = b.start - a.start
        spans = a.spans + [(s + shift, e + shift, label) for s, e, label in b.spans]
        # Half credit for words only the union covers: two sentences always share more words with a question.
        single = max(a.kw, b.kw)
        kw = single + 0.5 * (_keyword_overlap(question.terms, set(terms(text)), idf, n) - single)
        row = a.row if a.sim >= b.sim else b.row
        return Candidate(a.passage, row, a.start, b.end, text, max(a.sim, b.sim), kw, 0.0, spans, a.para_kw, pair=True)

    # --- short answers -----------------------------------------------------------------------------------------
    def short_answer(self, question: Question, cand: Candidate) -> str | None:
        kind = question.kind
        labels = TYPE_LABELS.get(kind, frozenset())
        if not labels:
            return None
        qterms = set(question.terms)
        options: list[tuple[float, str]] = []
        for s, e, label in cand.spans:
            text = cand.text[s:e].strip(" ,.;:“”‘\"'’")
            if not text:
                continue
            words = set(terms(text))
            if words and len(words & qterms) * 2 >= len(words):
                continue  # mostly the question's own words: not an answer
            is_np = label.startswith("NP:")
            if is_np:
                if kind not in ("person_group", "org"):
                    continue
                head = text.lower().split()[-1]
                inner = [lab for s2, e2, lab in cand.spans if not lab.startswith("NP:") and s <= s2 and e2 <= e]
                if not any(lab in labels for lab in inner) and (head not in GROUP_NOUNS or len(text.split()) < 2):
                    continue
                text = re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.IGNORECASE)
                words = set(terms(text)) - qterms
                if not words:
                    continue
            elif label not in labels:
                continue
            score = self._closeness(cand.text, s, e, qterms)
            if is_np and label.endswith("nsubj"):
                score += 0.5
            if is_np:
                score += 0.3  # "Iraqi forces" beats its entity "Iraqi"
            if label == "PERSON" and kind == "person_group":
                score += 0.2
            options.append((score, text))
        if not options:
            return None
        return max(options, key=lambda o: o[0])[1]

    @staticmethod
    def _closeness(sentence: str, s: int, e: int, qterms: set[str]) -> float:
        """Higher when the span sits near the question's words in the sentence."""
        positions = [
            m.start()
            for m in re.finditer(r"[A-Za-z0-9]+", sentence)
            if terms(m.group()) and terms(m.group())[0] in qterms
        ]
        if not positions:
            return 0.0
        dist = min(abs(p - s) if p < s else abs(p - e) for p in positions)
        return 1.0 / (1.0 + dist / 40.0)

    # --- the answer --------------------------------------------------------------------------------------------
    def answer(
        self, question: Question, passages: list[Passage], qvec: np.ndarray | None, snapshot: Snapshot, asked: str
    ) -> Answer:
        cands = self.candidates(question, passages, qvec, snapshot)
        if not cands or cands[0].support < self.refuse_below:
            return self.refusal(asked, passages, cands[0].support if cands else 0.0)
        best = cands[0]
        missing = missing_names(question.text, passages)
        if missing and best.support < NAMES_OVERRIDE_SUPPORT:
            reason = f"the articles found never mention {', '.join(missing)}"
            return self.refusal(asked, passages, cands[0].support, reason)
        best = cands[0]
        short = best.short
        start, end = self._quote_window(best, short)
        paragraph = best.passage.paragraph
        citations: list[Citation] = [make_citation(1, paragraph, start, end, best.support)]
        lines = [f"**{short}**"] if short else []
        lines.append(f"{_quoted(paragraph.quote(start, end))} [1]")
        extra_notes: list[str] = []
        bvec = snapshot.sentence_vectors[best.row]
        seen_docs = {best.passage.paragraph.doc_id}
        for other in cands[1:]:
            doc = other.passage.paragraph.doc_id
            if doc in seen_docs or other.support < self.refuse_below:
                continue
            closeness = float(snapshot.sentence_vectors[other.row] @ bvec)
            if closeness < CORROBORATE_SIM or other.kw < 0.6 * best.kw:
                continue
            other_short = other.short
            n = len(citations) + 1
            if short and other_short and _same(short, other_short):
                citations.append(make_citation(n, other.passage.paragraph, other.start, other.end, other.support))
                lines.append(f"Also reported by [{n}]: {_quoted(other.text)}")
                seen_docs.add(doc)
            elif (
                short
                and other_short
                and question.kind in NUMERIC_KINDS
                and closeness >= CONFLICT_SIM
                and other.kw >= best.kw
                and not _same(short, other_short)
            ):
                citations.append(make_citation(n, other.passage.paragraph, other.start, other.end, other.support))
                lines.append(
                    f"Another article gives a different figure, **{other_short}** [{n}]: {_quoted(other.text)}"
                )
                extra_notes.append(f"The sources differ: {short} [1] versus {other_short} [{n}].")
                seen_docs.add(doc)
            if len(citations) >= 3:
                break
        lines.extend(extra_notes)
        return Answer(
            question=asked,
            text="\n\n".join(lines),
            short_answer=short,
            citations=citations,
            passages=passages,
            refused=False,
            answerer=self.name,
        )

    @staticmethod
    def _quote_window(best: Candidate, short: str | None) -> tuple[int, int]:
        """The best sentence, plus the next one of its paragraph when no short answer pins the point down.

        "What happened to the lines?" is often answered by the sentence after the one that names the lines.
        """
        if short is not None or best.pair:
            return best.start, best.end
        sentences = best.passage.paragraph.sentences
        idx = next((i for i, sp in enumerate(sentences) if sp.start == best.start), None)
        if idx is not None and idx + 1 < len(sentences) and sentences[idx + 1].end - best.start <= 600:
            return best.start, sentences[idx + 1].end
        return best.start, best.end

    def refusal(self, asked: str, passages: list[Passage], support: float, reason: str | None = None) -> Answer:
        lines = ["The articles don't answer this question."]
        if passages:
            lines.append("Closest passages, as related reading:")
            for p in passages[:3]:
                para = p.paragraph
                first = para.sentence_texts()[0] if para.sentences else para.text
                lines.append(f"- {para.title} ({para.source or para.doc_id}, paragraph {para.n}): {first}")
        return Answer(
            question=asked,
            text="\n".join(lines),
            short_answer=None,
            citations=[],
            passages=passages,
            refused=True,
            answerer=self.name,
            notices=[reason or f"best support {support:.2f} is below the threshold {self.refuse_below:.2f}"],
        )


_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:[-’'][A-Za-z]+)*|\d{4})\b")


def missing_names(question: str, passages: list[Passage]) -> list[str]:
    """Names and years in the question that no retrieved passage mentions ("France", "2018").

    A question about something the articles never name cannot be answered from them, however similar the
    sentences around it are. The first word of the question and short acronyms ("UN", "TV", "PMF") are not
    counted: the first is capitalised anyway, and acronyms are often spelled out in the text.
    """
    text = question.split(" (context:")[0]
    first = re.match(r"\W*(\w+)", text)
    haystack = " ".join(f"{p.paragraph.title} {p.paragraph.source} {p.text}" for p in passages).lower()
    missing = []
    for match in _NAME.finditer(text):
        word = match.group()
        if first and match.start() == first.start(1):
            continue
        stem = word.lower()[: max(4, len(word) - 2)]  # "Syrian" matches "Syria", "Iraqi" matches "Iraq's"
        if stem not in haystack and word.lower() not in COMMON_CAPITALISED:
            missing.append(word)
    return missing


COMMON_CAPITALISED = frozenset({"i", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


def _quoted(text: str) -> str:
    """Curly quotes around a quote, unless it already starts with its own quotation mark."""
    return text if text[:1] in "“\"‘'" else f"“{text}”"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _same(a: str, b: str) -> bool:
    na, nb = _norm(a), _norm(b)
    return bool(na) and bool(nb) and (na in nb or nb in na)
