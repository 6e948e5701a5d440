"""The default answerer: no LLM, milliseconds, and nothing said that a source does not say word for word.

It scores every sentence of the retrieved paragraphs (meaning, shared rare words, whether it holds the kind of
thing asked for), quotes the best one verbatim with its citation, pulls a short answer out of it from the entities
and noun phrases found at ingest, cites other articles that state the same thing, points out when they give a
different figure, and refuses when the best support is too weak.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from index.models import Answer, Citation, Paragraph, Passage
from index.snapshot import Snapshot
from qa.citations import make_citation
from qa.question import TYPE_LABELS, Question, terms
from qa.spans import (
    AKA_BEFORE,
    ALIAS_SPAN,
    DURATION,
    NAMING,
    QUANTIFIER,
    RELATIVE_TIME,
    count_match,
    counts_the_same,
    local_overlap,
    named_by,
    window,
)
from qa.speaker import find_speaker
from qa.unanswerable import document_text, missing_names, unmentioned_focus

# Weights of the sentence score and the thresholds, calibrated on eval/datasets/articles.jsonl; the held-out sets
# in eval/datasets measure how far that carries (see README, Quality).
W_SIM, W_KW, W_PKW, W_TYPE, W_RANK = 0.40, 0.25, 0.12, 0.15, 0.08
W_LOCAL, W_COUNT = 0.15, 0.15
REFUSE_BELOW = 0.30
CORROBORATE_SIM = 0.62
CONFLICT_SIM = 0.75
PAIR_PENALTY = 0.04
NAMES_OVERRIDE_SUPPORT = 0.55  # support at which a name no passage mentions (a typo?) no longer forces a refusal
UNTYPED_SUPPORT = 0.5  # a who/where question answered by a sentence with no person/place found in it
NAME_LOCAL = 0.3  # how much of the question must surround a name for "what is the name of…"
UNTYPED_MARGIN = 0.15  # how much closer a sentence without the asked-for number/date must be to win anyway
CONTEXT_WEIGHT = 0.5  # a follow-up's own words count more than the earlier question appended for context
NUMERIC_KINDS = frozenset({"number", "money", "percent", "distance"})
MEASURED_KINDS = NUMERIC_KINDS | {"date", "duration"}
# Types the tagger (or a pattern) finds reliably: without one, a sentence cannot answer. People, groups and places
# are found less reliably, so a strong sentence without one still answers those.
STRICT_KINDS = MEASURED_KINDS | {"alias", "name"}

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
    local: float = 0.0  # how much of the question sits right around the short answer
    count: float = 0.0  # for "how many X": whether the number counts X
    pair: bool = False  # two adjacent sentences of one paragraph, e.g. a quote and its attribution

    @property
    def support(self) -> float:
        return 0.5 * self.sim + 0.5 * self.kw

    @property
    def score(self) -> float:
        return (
            W_SIM * self.sim
            + W_KW * self.kw
            + W_PKW * self.para_kw
            + W_TYPE * self.typed
            + W_RANK / self.passage.rank
            + W_LOCAL * self.local
            + W_COUNT * self.count
        )


def _idf(snapshot: Snapshot) -> dict[str, float]:
    """Inverse document frequency of every term, once per index version."""
    return snapshot.derived("idf", _build_idf)


def _build_idf(snapshot: Snapshot) -> dict[str, float]:
    df: dict[str, int] = {}
    for p in snapshot.paragraphs:
        for t in set(terms(p.text)):
            df[t] = df.get(t, 0) + 1
    n = max(len(snapshot.paragraphs), 1)
    return {t: math.log(1 + n / c) for t, c in df.items()}


def question_weights(question: Question, idf: dict[str, float], n: int) -> dict[str, float]:
    """How much each question term counts: its IDF (rare words decide), less when it only comes from the context."""
    unseen = math.log(1 + n)
    own = set(terms(question.text.split(" (context:")[0]))
    return {t: idf.get(t, unseen) * (1.0 if t in own else CONTEXT_WEIGHT) for t in question.terms}


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
        n = len(snapshot.paragraphs)
        weights = question_weights(question, _idf(snapshot), n)
        out = []
        for passage in passages:
            pi = snapshot.by_id.get(passage.id)
            if pi is None:
                continue
            paragraph = snapshot.paragraphs[pi]
            para_kw = _keyword_overlap(question.terms, set(terms(paragraph.text)), weights, n)
            prev: Candidate | None = None
            for row in snapshot.sentence_rows(pi):
                si = int(snapshot.sentence_owner[row, 1])
                span = paragraph.sentences[si]
                text = paragraph.quote(span.start, span.end)
                sim = float(snapshot.sentence_vectors[row] @ qvec) if qvec is not None else 0.0
                kw = _keyword_overlap(question.terms, set(terms(text)), weights, n)
                spans = snapshot.sentence_spans[row] if row < len(snapshot.sentence_spans) else []
                cand = Candidate(passage, int(row), span.start, span.end, text, max(sim, 0.0), kw, 0.0, spans, para_kw)
                out.append(self._typed(question, cand, weights))
                # A pair earns its place when one sentence holds the answer the other lacks (a quote and its
                # attribution); two sentences that both hold one would only let the wrong one win.
                if prev is not None and (question.kind == "any" or (prev.short is None) != (cand.short is None)):
                    pair = self._pair(prev, cand, paragraph, question, weights, n)
                    out.append(self._typed(question, pair, weights))
                prev = cand
        out.sort(key=lambda c: -c.score)
        return out

    def _typed(self, question: Question, cand: Candidate, weights: dict[str, float]) -> Candidate:
        if question.kind != "any":
            found = self.short_answer(question, cand, weights)
            if found is not None:
                cand.short, cand.local, cand.count = found
            cand.typed = 1.0 if cand.short else 0.0
            if question.kind == "duration" and cand.short and not DURATION.search(cand.short):
                cand.typed = 0.0  # "January" is a date, not how long something took
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
    def short_answer(
        self, question: Question, cand: Candidate, weights: dict[str, float]
    ) -> tuple[str, float, float] | None:
        """The best span of the expected type, with its local context and count match.

        `weights` are the question terms' weights (`question_weights`). Spans come from the entities and noun
        phrases found at ingest, plus a few patterns the tagger misses (counts in words, relative times, aliases).
        """
        kind = question.kind
        labels = TYPE_LABELS.get(kind, frozenset())
        if not labels:
            return None
        qterms = set(question.terms)
        options: list[tuple[float, str, float, float]] = []
        for s, e, label in cand.spans:
            text = cand.text[s:e].strip(" ,.;:“”‘\"'’")
            if not text:
                continue
            words = set(terms(text))
            named = named_by(cand.text, s, e, text, label, question)
            if named and not words - qterms - {question.head}:
                continue  # "the district": the question's noun and nothing else
            if not named and kind not in MEASURED_KINDS and words and len(words & qterms) * 2 >= len(words):
                continue  # mostly the question's own words: not an answer ("three months" is one to "how many months")
            if kind != "alias" and AKA_BEFORE.search(cand.text[max(0, s - 20) : s]):
                continue  # "…Forces, also known as Hashd al-Shaabi": another name of something already named
            is_np = label.startswith("NP:")
            if named:
                text = re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.IGNORECASE)
            elif is_np:
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
            if question.counted and not counts_the_same(cand.text, s, e, question.counted):
                continue  # "3,320 ISIS terrorists" does not answer "how many US soldiers"
            local = local_overlap(cand.text, s, e, question.terms, weights)
            if kind == "alias" and not NAMING.search(window(cand.text, s, e)):
                continue  # a name, but not given as another name of anything
            if kind == "name" and local < NAME_LOCAL and not NAMING.search(window(cand.text, s, e)):
                continue  # a name with nothing of the question around it
            count = count_match(cand.text, e, question.counted) if question.counted else 0.0
            score = self._closeness(cand.text, s, e, qterms) + 1.5 * local + count
            if is_np and label.endswith("nsubj"):
                score += 0.5
            if is_np:
                score += 0.3  # "Iraqi forces" beats its entity "Iraqi"
            if label == "PERSON" and kind == "person_group":
                score += 0.2
            if kind == "duration" and DURATION.search(text):
                score += 1.0  # "three months", not "January"
            if named:
                score += 0.6
            options.append((score, text, local, count))
        options.extend(self._pattern_options(question, cand, weights))
        if not options:
            return None
        _, text, local, count = max(options, key=lambda o: o[0])
        return text, local, count

    def _pattern_options(
        self, question: Question, cand: Candidate, weights: dict[str, float]
    ) -> Iterator[tuple[float, str, float, float]]:
        """Answers the tagger misses, scored like tagged ones but a little below them (digits and dates first)."""
        kind, text, qterms = question.kind, cand.text, set(question.terms)

        def option(s: int, e: int, answer: str, bonus: float, count: float = 0.0) -> tuple[float, str, float, float]:
            local = local_overlap(text, s, e, question.terms, weights)
            return self._closeness(text, s, e, qterms) + 1.5 * local + count + bonus, answer, local, count

        if kind == "number" and question.counted:  # "dozens of deaths", "every front": counts without digits
            for m in QUANTIFIER.finditer(text):
                s, e = m.span(1)
                if counts_the_same(text, s, e, question.counted):
                    noun = m.group(2)
                    answer = f"{m.group(1)} {noun}" if set(terms(noun)) & set(question.counted) else m.group(1)
                    yield option(s, e, answer, -0.3, count_match(text, e, question.counted))
        if kind == "date":  # "in the near future", "in the coming days"
            for m in RELATIVE_TIME.finditer(text):
                yield option(*m.span(), m.group(), -0.3)
        if kind == "alias":  # "also known as Hashd al-Shaabi": spaCy rarely tags a transliterated name
            for m in ALIAS_SPAN.finditer(text):
                if not set(terms(m.group(1))) <= qterms:
                    yield option(*m.span(1), m.group(1), 1.0)

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
        unheard = unmentioned_focus(question.text, _idf(snapshot))
        if unheard:
            return self.refusal(asked, passages, best.support, f"the articles never mention “{unheard}”")
        chosen = self._choose(question, cands, snapshot, set(missing))
        if chosen is None:
            label = TYPE_NAMES.get(question.kind)
            reason = (
                f"no passage found states {label} for this question"
                if label
                else "the closest passages come from articles that never mention a name the question uses"
            )
            return self.refusal(asked, passages, best.support, reason)
        best = chosen
        short = best.short
        start, end = self._quote_window(best, short)
        paragraph = best.passage.paragraph
        citations: list[Citation] = [make_citation(1, paragraph, start, end, best.support)]
        speaker = find_speaker(question, best.text, best.spans, best.passage.id, best.start, snapshot)
        if speaker is not None:
            short = speaker.name
        lines = [f"**{short}**"] if short else []
        lines.append(f"{_quoted(paragraph.quote(start, end))} [1]")
        if speaker is not None:
            citations.append(make_citation(2, speaker.paragraph, speaker.start, speaker.end, best.support))
            quote = _quoted(speaker.paragraph.quote(speaker.start, speaker.end))
            lines.append(f"“{speaker.pronoun}” is {speaker.name}, named earlier in the same article: {quote} [2]")
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

    def _choose(
        self, question: Question, cands: list[Candidate], snapshot: Snapshot, unknown: set[str]
    ) -> Candidate | None:
        """The best candidate that can answer: one whose article names every name the question names, and, for a
        question of a STRICT_KINDS type, one that holds such a thing."""
        # A name no passage has (`unknown`: a typo, say) was weighed already; one that another article has but this
        # candidate's article lacks says the candidate is about something else ("al-Ramadi" vs a Mosul report).
        fits: dict[str, bool] = {}
        for c in cands:
            doc = c.passage.paragraph.doc_id
            if doc not in fits:
                fits[doc] = not set(missing_names(question.text, [], document_text(snapshot, doc))) - unknown
        names_ok = [c for c in cands if c.support >= self.refuse_below and fits[c.passage.paragraph.doc_id]]
        if question.kind in STRICT_KINDS:
            typed = next((c for c in names_ok if c.short), None)
            if typed is not None and names_ok[0].support - typed.support >= UNTYPED_MARGIN:
                return names_ok[0]  # a far closer sentence whose number or date the tagger missed
            return typed
        best = names_ok[0] if names_ok else None
        if best is not None and question.kind != "any" and not best.short and best.support < UNTYPED_SUPPORT:
            return None  # asked for a who/where/name, found none, and the sentence alone is not close enough
        return best

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


# What a refusal says was not found, by answer type.
TYPE_NAMES = {
    "number": "a number",
    "money": "an amount of money",
    "percent": "a share or percentage",
    "distance": "a distance",
    "date": "a date",
    "duration": "a duration",
    "alias": "another name",
    "name": "a name",
    "person": "a person",
    "person_group": "a person or group",
    "org": "an organisation",
    "place": "a place",
}


def _quoted(text: str) -> str:
    """Curly quotes around a quote, unless it already starts with its own quotation mark."""
    return text if text[:1] in "“\"‘'" else f"“{text}”"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _same(a: str, b: str) -> bool:
    na, nb = _norm(a), _norm(b)
    return bool(na) and bool(nb) and (na in nb or nb in na)
