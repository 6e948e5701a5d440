"""What a question asks for: its expected answer type and its content terms.

The answer type ("who" → a person or group, "how many" → a number) lets a sentence that merely shares words with
the question lose to one that actually holds the kind of thing asked for. Content terms are stemmed the same way
as the keyword index, so overlap is counted on the same footing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

AnswerType = str  # "person_group", "date", "number", "place", "org", "any"

# spaCy entity labels that satisfy each answer type.
TYPE_LABELS: dict[str, frozenset[str]] = {
    "person_group": frozenset({"PERSON", "ORG", "NORP"}),
    "person": frozenset({"PERSON"}),
    "org": frozenset({"ORG", "NORP", "PERSON"}),
    "date": frozenset({"DATE", "TIME"}),
    "number": frozenset({"CARDINAL", "QUANTITY", "PERCENT", "MONEY"}),
    "percent": frozenset({"PERCENT", "CARDINAL"}),
    "distance": frozenset({"QUANTITY", "CARDINAL"}),
    "place": frozenset({"GPE", "LOC", "FAC"}),
    "any": frozenset(),
}

PLACE_NOUNS = (
    "city town country province region areas? districts? place villages? border river mountains? neighbou?rhoods?"
)
ORG_NOUNS = (
    "tv television channel station outlet newspaper agency organi[sz]ation group militia forces? army ministry "
    "institute blog council coalition magazine unit government think.tank"
)
PERSON_NOUNS = " ".join(
    [
        "person official officer commander leader spokes(?:man|person)",
        "minister analyst general specialist chancellor expert",
    ]
)


def _which(nouns: str) -> str:
    """A "which/what" followed, within two words, by one of the nouns: "which Kurdish news outlet"."""
    return r"\b(?:which|what) (?:\w+ ){0,2}(?:" + "|".join(nouns.split()) + r")\b"


def _roles() -> str:
    return r"(?:" + "|".join(PERSON_NOUNS.split()) + r")\b"


_PERSON_RULE = re.compile(
    _which(PERSON_NOUNS) + r"|\bwho(?:m|se)? (?:is|was|are|were) (?:the |an? )?(?:\w+ ){0,3}" + _roles()
)

_RULES: list[tuple[re.Pattern[str], AnswerType]] = [
    (re.compile(r"\bwhat (?:percentage|percent|share|proportion|fraction)\b|\bhow much of\b"), "percent"),
    (re.compile(r"\bhow long (?:did|does|do|has|had|have|will|would|was|were)\b"), "date"),  # a duration
    (re.compile(r"\bhow (?:far|close|long is|wide|high)\b|\bwhat distance\b"), "distance"),
    (re.compile(r"\bhow (?:many|much)\b|\bwhat (?:number|amount|toll)\b|\bhow large\b"), "number"),
    (
        re.compile(
            r"\b(?:when|what (?:year|month|day|date|time))\b|\bon which (?:day|date)\b|\bin which (?:year|month)\b"
        ),
        "date",
    ),
    (re.compile(r"\bwhere\b|" + _which(PLACE_NOUNS)), "place"),
    (re.compile(_which(ORG_NOUNS)), "org"),
    (
        re.compile(
            _which(PERSON_NOUNS) + r"|\bwho(?:m|se)? (?:is|was|are|were) (?:the |an? )?(?:\w+ ){0,3}" + _roles()
        ),
        "person",
    ),
    (re.compile(r"\bwho(?:m|se)?\b"), "person_group"),
]

QUESTION_WORDS = frozenset(
    [
        "who",
        "whom",
        "whose",
        "what",
        "which",
        "when",
        "where",
        "why",
        "how",
        "many",
        "much",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "with",
        "from",
        "and",
        "or",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "they",
        "them",
        "their",
        "he",
        "she",
        "his",
        "her",
        "him",
        "there",
        "then",
        "context",
    ]
)


def answer_type(question: str) -> AnswerType:
    q = question.lower()
    if re.match(r"\W*(?:who|whom|whose)\b", q):  # "Who said how many…" asks for a person, not a number
        return "person" if _PERSON_RULE.search(q) else "person_group"
    for pattern, kind in _RULES:
        if pattern.search(q):
            return kind
    return "any"


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | QUESTION_WORDS


_WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def terms(text: str) -> list[str]:
    """Stemmed content words, in order, without stop words: the unit of keyword overlap."""
    stop = _stopwords()
    toks = []
    for w in words(text):
        for part in re.split(r"['’-]", w.lower()):
            if part and part not in stop and not (len(part) == 1 and part.isalpha()):
                toks.append(part)
    return _stemmer().stemWords(toks) if toks else []


@dataclass(frozen=True)
class Question:
    text: str
    kind: AnswerType
    terms: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, focus: str | None = None) -> Question:
        """`focus` is the part of a rewritten follow-up that carries the answer type (the user's own words)."""
        return cls(text=text, kind=answer_type(focus or text), terms=tuple(dict.fromkeys(terms(text))))
