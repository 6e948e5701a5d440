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
from qa.question import PERSON_NOUNS, TYPE_LABELS, Question, terms, words

# Weights of the sentence score and the refusal threshold, calibrated on eval/datasets/articles.jsonl (see README).
W_SIM, W_KW, W_PKW, W_TYPE, W_RANK = 0.40, 0.25, 0.12, 0.15, 0.08
W_LOCAL, W_COUNT = 0.15, 0.15
LOCAL_WORDS = 6  # words either side of a short answer that count as its context

# Nouns that count the same people, each mapped to one representative (stemmed, as `terms` gives them).
COUNT_SYNONYMS = {
    t: group[0]
    for group in (
        ("fighter", "milit", "terrorist", "jihadist", "insurg", "member", "gunmen", "gunman"),
        ("soldier", "troop", "servicemen", "personnel"),
        ("peopl", "civilian", "person", "resid", "individu", "inhabit"),
    )
    for t in group
}
REFUSE_BELOW = 0.30
CORROBORATE_SIM = 0.62
CONFLICT_SIM = 0.75
PAIR_PENALTY = 0.04
NAMES_OVERRIDE_SUPPORT = 0.55
UNTYPED_SUPPORT = 0.5  # a who/where question answered by a sentence with no person/place found in it
NAME_LOCAL = 0.3
UNTYPED_MARGIN = 0.15
NUMERIC_KINDS = frozenset({"number", "money", "percent", "distance"})
MEASURED_KINDS = NUMERIC_KINDS | {"date", "duration"}

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


CONTEXT_WEIGHT = 0.5  # a follow-up's own words count more than the earlier question appended for context


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
        idf = question_weights(question, _idf(snapshot), n)
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
                out.append(self._typed(question, cand, idf))
                # A pair earns its place when one sentence holds the answer the other lacks (a quote and its
                # attribution); two sentences that both hold one would only let the wrong one win.
                if prev is not None and (question.kind == "any" or (prev.short is None) != (cand.short is None)):
                    out.append(self._typed(question, self._pair(prev, cand, paragraph, question, idf, n), idf))
                prev = cand
        out.sort(key=lambda c: -c.score)
        return out

    def _typed(self, question: Question, cand: Candidate, idf: dict[str, float]) -> Candidate:
        if question.kind != "any":
            found = self.short_answer(question, cand, idf)
            if found is not None:
                cand.short, cand.local, cand.count = found
            cand.typed = 1.0 if cand.short else 0.0
            if question.kind == "duration" and cand.short and not _DURATION.search(cand.short):
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
        self, question: Question, cand: Candidate, idf: dict[str, float]
    ) -> tuple[str, float, float] | None:
        """The best span of the expected type, with its local context and count match."""
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
            named = _named_by(cand.text, s, e, text, label, question)
            if named and not words - qterms - {question.head}:
                continue  # "the district": the question's noun and nothing else
            if not named and kind not in MEASURED_KINDS and words and len(words & qterms) * 2 >= len(words):
                continue  # mostly the question's own words: not an answer ("three months" is one to "how many months")
            if kind != "alias" and _AKA_BEFORE.search(cand.text[max(0, s - 20) : s]):
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
            local = _local_overlap(cand.text, s, e, question.terms, idf)
            if kind == "alias" and not _NAMING.search(_window(cand.text, s, e)):
                continue  # a name, but not given as another name of anything
            if kind == "name" and local < NAME_LOCAL and not _NAMING.search(_window(cand.text, s, e)):
                continue  # a name with nothing of the question around it
            count = _count_match(cand.text, e, question.counted) if question.counted else 0.0
            score = self._closeness(cand.text, s, e, qterms) + 1.5 * local + count
            if is_np and label.endswith("nsubj"):
                score += 0.5
            if is_np:
                score += 0.3  # "Iraqi forces" beats its entity "Iraqi"
            if label == "PERSON" and kind == "person_group":
                score += 0.2
            if kind == "duration" and _DURATION.search(text):
                score += 1.0  # "three months", not "January"
            if named:
                score += 0.6
            options.append((score, text, local, count))
        if kind == "alias":  # "also known as Hashd al-Shaabi": spaCy rarely tags a transliterated name
            for m in _ALIAS_SPAN.finditer(cand.text):
                if not set(terms(m.group(1))) <= qterms:
                    options.append((2.0, m.group(1), _local_overlap(cand.text, *m.span(1), question.terms, idf), 0.0))
        if not options:
            return None
        _, text, local, count = max(options, key=lambda o: o[0])
        return text, local, count

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
        chosen = self._choose(question, cands, snapshot)
        if chosen is None:
            label = TYPE_NAMES.get(question.kind, question.kind)
            reason = f"no passage found states {label} for this question"
            return self.refusal(asked, passages, best.support, reason)
        best = chosen
        short = best.short
        start, end = self._quote_window(best, short)
        paragraph = best.passage.paragraph
        citations: list[Citation] = [make_citation(1, paragraph, start, end, best.support)]
        speaker = find_speaker(question, best, snapshot)
        if speaker is not None:
            short = speaker.name
        lines = [f"**{short}**"] if short else []
        lines.append(f"{_quoted(paragraph.quote(start, end))} [1]")
        if speaker is not None:
            citations.append(make_citation(2, speaker.paragraph, speaker.start, speaker.end, best.support))
            quote = _quoted(speaker.paragraph.quote(speaker.start, speaker.end))
            lines.append(f"“{speaker.pronoun}” is {speaker.name}, named just before in the same article: {quote} [2]")
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

    def _choose(self, question: Question, cands: list[Candidate], snapshot: Snapshot) -> Candidate | None:
        """The best candidate that can answer: one naming every name the question names (in its paragraph), and,
        for a question asking for a number, date or name, one that holds such a thing. Spans of people, groups and
        places are found less reliably, so a strong sentence without one still answers those."""
        names_ok = [
            c
            for c in cands
            if c.support >= NAMES_OVERRIDE_SUPPORT
            or (c.support >= self.refuse_below and not missing_names(question.text, [], _document_text(snapshot, c)))
        ]
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


_DURATION = re.compile(r"\b(?:second|minute|hour|day|week|month|year|decade)s?\b", re.IGNORECASE)


def _local_overlap(sentence: str, s: int, e: int, qterms: tuple[str, ...], idf: dict[str, float]) -> float:
    """IDF-weighted share of the question's terms among the few words either side of a span.

    "400,000 of whom are in the Old City" answers "how many … in the Old City"; "half a million people remain in
    the area" earlier in the same sentence does not.
    """
    if not qterms:
        return 0.0
    near = set(terms(" ".join(words(sentence[:s])[-LOCAL_WORDS:]))) | set(
        terms(" ".join(words(sentence[e:])[:LOCAL_WORDS]))
    )
    unseen = max(idf.values(), default=1.0)
    total = sum(idf.get(t, unseen) for t in qterms)
    return sum(idf.get(t, unseen) for t in qterms if t in near) / total if total else 0.0


_NAMING = re.compile(r"\b(?:name[ds]?|known as|called|dubbed|nicknamed|titled|a\.?k\.?a\.?)\b", re.IGNORECASE)
_ALIAS_SPAN = re.compile(
    r"\b(?:known as|called|dubbed|nicknamed|a\.k\.a\.?)\s+(?:the\s+)?"
    r"([A-Z][\w’'-]*(?:\s+(?:al-|bin\s|of\s)?[A-Z][\w’'-]*){0,4})"
)
HEAD_KINDS = frozenset({"person", "person_group", "org", "place", "name"})


def _named_by(sentence: str, s: int, e: int, text: str, label: str, question: Question) -> bool:
    """Whether the sentence itself says the span is the kind of thing asked for, by the question's own noun:
    "the Islah al-Zeraie district" for "which district", "Abu Ayoub al-Shami, Islamic State's military
    commander" or "Spokesman Karim al-Nouri" for "which commander/spokesman"."""
    head = question.head
    if head is None or question.kind not in HEAD_KINDS:
        return False
    if not (text[:1].isupper() or text.lower().startswith("the ")):
        return False
    if label.startswith("NP:"):
        name = re.sub(r"^(?:the|a|an|another|this|that|its|his|her|their)\s+", "", text, flags=re.IGNORECASE)
        qterms = set(question.terms)
        proper = [w for w in name.split()[:-1] if w[:1].isupper() and not set(terms(w)) <= qterms]
        return terms(text.split()[-1]) == [head] and bool(proper)
    if question.kind not in ("person", "person_group"):
        return False
    after = sentence[e : e + 60]
    before = words(sentence[:s])[-1:]  # a title: "Spokesman Karim al-Nouri"
    return (after.startswith(",") and head in terms(" ".join(words(after)[:5]))) or head in terms(" ".join(before))


_AKA_BEFORE = re.compile(r"\b(?:known as|called|dubbed|nicknamed|a\.k\.a\.?)\s+(?:the\s+)?$")
_CLAUSE_END = re.compile(r"[,;:()“”\"]|\s[–—-]\s")


def _window(sentence: str, s: int, e: int) -> str:
    left = " ".join(words(sentence[:s])[-LOCAL_WORDS:])
    right = " ".join(words(sentence[e:])[:LOCAL_WORDS])
    return f"{left} {sentence[s:e]} {right}"


def counts_the_same(sentence: str, s: int, e: int, counted: tuple[str, ...]) -> bool:
    """Whether a number can count what the question counts.

    The noun right after the number, when there is one, must be a counted one ("200 bodies", not "seven
    villages"); and when it comes with qualifiers of its own ("30 Islamic State fighters"), the question's
    qualifiers ("Peshmerga fighters") must be there too, or just before the number.
    """
    head, modifiers = counted[-1], counted[:-1]
    after = _counted_after(sentence, e)
    around = words(sentence[:s])[-LOCAL_WORDS:] + words(sentence[e:])[: 2 * LOCAL_WORDS]
    near = after | set(terms(" ".join(around))) | {w.lower() for w in around}

    def has(term: str, pool: set[str]) -> bool:
        return term in pool or COUNT_SYNONYMS.get(term, term) in {COUNT_SYNONYMS.get(t) for t in pool}

    if after and not any(has(t, after) for t in counted):
        return False
    qualifiers = {t for t in after if not has(t, {head}) and t not in counted}
    return not qualifiers or all(has(m, near) for m in modifiers)


def _counted_after(sentence: str, e: int) -> set[str]:
    """The noun phrase a number counts: "200 bodies of its fighters" → {bodi}; "1000 of its own militants" →
    {militant}: words after the number up to the first stop word that follows a content word."""
    found: set[str] = set()
    clause = _CLAUSE_END.split(sentence[e:], maxsplit=1)[0]
    if re.match(r"\s*of (?:whom|which|them|those)\b", clause):
        return found  # "half a million people …, 400,000 of whom": it counts the noun before it
    for word in words(clause)[:5]:
        # An upper-case "US" or "UN" is a name, though its lower case is a stop word.
        content = [word.lower()] if word.isupper() and len(word) > 1 else terms(word)
        if not content:
            if found:
                break
            continue
        found.update(content)
    return found


def _count_match(sentence: str, e: int, counted: tuple[str, ...]) -> float:
    """Share of the counted words ("US soldiers") that the number really counts, synonyms allowed."""
    after = _counted_after(sentence, e)
    after |= {COUNT_SYNONYMS[t] for t in after if t in COUNT_SYNONYMS}
    return sum(t in after or COUNT_SYNONYMS.get(t) in after for t in counted) / len(counted)


_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:[-’'][A-Za-z]+)*|\d{4})\b")


_SPEAKER_PRONOUN = re.compile(
    r"\b(?P<p1>he|she)\s+(?:also\s+|further\s+)?(?:said|says|added|told|stressed|noted|claimed|stated|explained|"
    r"announced|warned|described)\b|\b(?:said|added|told|stressed|noted)\s+(?P<p2>he|she)\b",
    re.IGNORECASE,
)
_SPEECH_QUESTION = re.compile(
    r"\b(?:said|say|says|claimed|claim|told|tell|stated|announced|added|stressed|noted|warned|described|spoke|"
    r"speaking|spokes(?:man|person|woman))\b",
    re.IGNORECASE,
)
SPEAKER_LOOKBACK = 3  # paragraphs back through the article to look for whom "he said" refers to


@dataclass
class Speaker:
    name: str
    pronoun: str
    paragraph: Paragraph
    start: int
    end: int


def find_speaker(question: Question, best: Candidate, snapshot: Snapshot) -> Speaker | None:
    """Whom "he said" refers to, when a who-question asks for a speaker and the quoted sentence names none.

    "…he said, “Daesh have lost more than 80 percent of its elements”" answers "Which PMF spokesman said…" only
    with the person the article named before: the last one named in the sentences above it, in the same
    paragraph or the few before it, which is then cited as well.
    """
    if question.kind not in ("person", "person_group") or not _SPEECH_QUESTION.search(question.text):
        return None
    if any(label == "PERSON" for _, _, label in best.spans):
        return None
    match = _SPEAKER_PRONOUN.search(best.text)
    if match is None:
        return None
    pronoun = match.group("p1") or match.group("p2")
    pi = snapshot.by_id.get(best.passage.id)
    if pi is None:
        return None
    found: Speaker | None = None
    for paragraph, start, end, name in _people_before(snapshot, pi, best.start):
        if found is None:
            found = Speaker(name, pronoun, paragraph, start, end)
        elif len(name) > len(found.name) and name.lower().endswith(found.name.lower()):
            # "Al-Assadi further stressed…" names him again; "Ahmed al-Assadi said…" is where he is introduced.
            found = Speaker(name, pronoun, paragraph, start, end)
    return found


def _people_before(snapshot: Snapshot, pi: int, before: int) -> Iterator[tuple[Paragraph, int, int, str]]:
    """(paragraph, sentence start, sentence end, name) of people named above a point of an article, nearest first."""
    doc = snapshot.paragraphs[pi].doc_id
    for back in range(SPEAKER_LOOKBACK + 1):
        qi = pi - back
        if qi < 0 or snapshot.paragraphs[qi].doc_id != doc:
            return
        paragraph = snapshot.paragraphs[qi]
        for row in reversed(snapshot.sentence_rows(qi).tolist()):
            sentence = paragraph.sentences[int(snapshot.sentence_owner[row, 1])]
            if back == 0 and sentence.start >= before:
                continue
            people = [(s, e) for s, e, label in snapshot.sentence_spans[row] if label == "PERSON"]
            for s, e in reversed(people):
                name = paragraph.quote(sentence.start + s, sentence.start + e)
                yield paragraph, sentence.start, sentence.end, name


_DOC_TEXT: dict[tuple[str, str], str] = {}


def _document_text(snapshot: Snapshot, cand: Candidate) -> str:
    """Title, outlet and text of a candidate's whole article: where a name the question uses must appear."""
    doc = cand.passage.paragraph.doc_id
    key = (snapshot.version, doc)
    if key not in _DOC_TEXT:
        if len(_DOC_TEXT) > 256 or any(v != snapshot.version for v, _ in _DOC_TEXT):
            _DOC_TEXT.clear()
        paras = [p for p in snapshot.paragraphs if p.doc_id == doc]
        head = f"{paras[0].title} {paras[0].source} " if paras else ""
        _DOC_TEXT[key] = head + " ".join(p.text for p in paras)
    return _DOC_TEXT[key]


def missing_names(question: str, passages: list[Passage], context: str = "") -> list[str]:
    """Names and years in the question that neither the passages nor `context` (an article's text) mention.

    A question about something the articles never name cannot be answered from them, however similar the
    sentences around it are. The first word of the question and short acronyms ("UN", "TV", "PMF") are not
    counted: the first is capitalised anyway, and acronyms are often spelled out in the text.
    """
    text = question.split(" (context:")[0]
    first = re.match(r"\W*(\w+)", text)
    haystack = " ".join([context, *(f"{p.paragraph.title} {p.paragraph.source} {p.text}" for p in passages)]).lower()
    missing = []
    for match in _NAME.finditer(text):
        word = match.group()
        if first and match.start() == first.start(1):
            continue
        if text[match.end() :].startswith(" name"):
            continue  # "the Arabic name for X": the language of a name, not something the articles must mention
        stem = word.lower()[: max(4, len(word) - 2)]  # "Syrian" matches "Syria", "Iraqi" matches "Iraq's"
        if stem not in haystack and word.lower() not in COMMON_CAPITALISED:
            missing.append(word)
    return missing


TYPE_NAMES = {
    "number": "a number",
    "money": "an amount of money",
    "percent": "a share or percentage",
    "distance": "a distance",
    "date": "a date",
    "duration": "a duration",
    "alias": "another name",
    "name": "a name",
}
STRICT_KINDS = frozenset(TYPE_NAMES)
TYPE_NAMES.update(
    {
        "person": "a person",
        "person_group": "a person or group",
        "org": "an organisation",
        "place": "a place",
    }
)

_ROLE = re.compile(
    r"\b(?:who(?:m|se)? (?:is|was|are|were)|which|what) (?:(?:the|an?|[\w'’-]+'s|[\w'’-]+’s) )?((?:[a-z][\w-]* )?(?:"
    + "|".join(PERSON_NOUNS.split())
    + r"))\b"
)


def unmentioned_focus(question: str, idf: dict[str, float]) -> str | None:
    """The role a person question asks about ("prime minister"), when the articles never use one of its words.

    Who held an office the articles never mention cannot be answered from them, however close the sentences
    about other officials are.
    """
    match = _ROLE.search(question.split(" (context:")[0].lower())
    if match is None:
        return None
    phrase = match.group(1)
    modifiers = phrase.split()[:-1]  # the role noun itself may be paraphrased ("officer" for a general)
    return phrase if any(t not in idf for t in terms(" ".join(modifiers))) else None


COMMON_CAPITALISED = frozenset({"i", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


def _quoted(text: str) -> str:
    """Curly quotes around a quote, unless it already starts with its own quotation mark."""
    return text if text[:1] in "“\"‘'" else f"“{text}”"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _same(a: str, b: str) -> bool:
    na, nb = _norm(a), _norm(b)
    return bool(na) and bool(nb) and (na in nb or nb in na)
