"""What a question asks for: its expected answer type and its content terms.

The answer type ("who" → a person or group, "how many" → a number) lets a sentence that merely shares words with
the question lose to one that actually holds the kind of thing asked for. Content terms are stemmed the same way
as the keyword index, so overlap is counted on the same footing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

AnswerType = str  # "person_group", "date", "duration", "number", "money", "place", "org", "name", "any"

# spaCy entity labels that satisfy each answer type.
TYPE_LABELS: dict[str, frozenset[str]] = {
    "person_group": frozenset({"PERSON", "ORG", "NORP"}),
    "person": frozenset({"PERSON"}),
    "org": frozenset({"ORG", "NORP", "PERSON"}),
    "date": frozenset({"DATE", "TIME"}),
    "duration": frozenset({"DATE", "TIME"}),
    "number": frozenset({"CARDINAL", "QUANTITY", "PERCENT", "MONEY"}),
    "money": frozenset({"MONEY"}),
    "percent": frozenset({"PERCENT", "CARDINAL"}),
    "distance": frozenset({"QUANTITY", "CARDINAL"}),
    "place": frozenset({"GPE", "LOC", "FAC"}),
    "name": frozenset({"PERSON", "ORG", "NORP", "FAC", "GPE", "LOC", "WORK_OF_ART", "PRODUCT", "EVENT"}),
    "alias": frozenset({"PERSON", "ORG", "NORP", "FAC", "GPE", "LOC", "WORK_OF_ART", "PRODUCT", "EVENT"}),
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

# "How did they learn where…" and "Why…" ask for a manner or a reason, whatever wh-word comes later.
_MANNER = re.compile(r"\W*(?:why|how (?:did|does|do|was|were|is|are|can|could|has|have|had|would|will))\b")
# Another name for something the question names: "X's real name", "the Arabic name for the Popular Mobilization
# Forces". The answer must be given as a name ("also known as …"), not be any name nearby.
_ALIAS = re.compile(
    r"\b(?:[A-Z][\w-]*(?:'s|’s) (?:[a-z]+ )?names?\b|\b[A-Za-z]+ names? (?:for|of) (?:the )?(?:[A-Z][\w-]* ?)+(?:\?|$))"
)
_MONEY = re.compile(r"\bhow much\b.*\b(?:cost|costs|spen[dt]|pa(?:y|id)|worth|budget|price|fund(?:ed|ing)?)\b")

_RULES: list[tuple[re.Pattern[str], AnswerType]] = [
    (re.compile(r"\bwhat (?:percentage|percent|share|proportion|fraction)\b|\bhow much of\b"), "percent"),
    (
        re.compile(
            r"\bhow long (?:did|does|do|has|had|have|will|would|was|were)\b|\bfor how long\b"
            r"|\bhow many (?:more )?(?:seconds|minutes|hours|days|weeks|months|years|decades)\b"
        ),
        "duration",
    ),
    (re.compile(r"\bhow (?:far|close|long is|wide|high)\b|\bwhat distance\b"), "distance"),
    (_MONEY, "money"),
    (
        re.compile(
            r"\bhow (?:many|much)\b|\bwhat (?:number|amount|toll)\b|\bhow large\b"
            r"|\bwhat (?:is|was|were) the (?:\w+ )?(?:population|death toll|size|number)\b"
        ),
        "number",
    ),
    (re.compile(r"\bwhat (?:is|was|are|were) (?:[\w'’-]+ ){0,4}names?\b"), "name"),
    (
        re.compile(
            r"\b(?:when|what (?:year|month|day|date|time))\b|\bon which (?:day|date)\b|\bin which (?:year|month)\b"
        ),
        "date",
    ),
    (re.compile(r"\bwhere\b|" + _which(PLACE_NOUNS)), "place"),
    (re.compile(_which(ORG_NOUNS)), "org"),
    (_PERSON_RULE, "person"),
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


_WH = re.compile(r"\b(?:who|whom|whose|what|which|when|where|why|how)\b")


def wh_clause(question: str) -> str:
    """The question from its first wh-word (with the preposition before it) up to the next one.

    The first wh-phrase decides what is asked: "What does the beroe do when pursuing prey?" asks what, not
    when; "In which town…" keeps its "in".
    """
    q = question.lower()
    hits = list(_WH.finditer(q))
    if not hits:
        return q
    start = hits[0].start()
    before = re.search(r"\b(?:in|on|at|by|from|to|for|of|with|during|since|until) $", q[:start])
    if before:
        start = before.start()
    end = hits[1].start() if len(hits) > 1 else len(q)
    return q[start:end]


def answer_type(question: str) -> AnswerType:
    q = wh_clause(question)
    if re.match(r"\W*(?:who|whom|whose)\b", q):  # "Who said how many…" asks for a person, not a number
        return "person" if _PERSON_RULE.search(q) else "person_group"
    if _MANNER.match(q):
        return "any"
    if _ALIAS.search(question):
        return "alias"
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


_COUNTED = re.compile(r"\bhow many (?:of (?:its|their|his|her|the) (?:own )?)?((?:[\w'’-]+ ?){1,4})", re.IGNORECASE)
_COUNT_STOP = frozenset(
    ["did", "do", "does", "were", "was", "are", "is", "have", "has", "had", "will", "would", "could", "can"]
    + ["of", "in", "on", "at", "to", "for", "by", "from"]
)


def counted_terms(question: str) -> tuple[str, ...]:
    """What a how-many question counts: "How many US soldiers died…" → ("us", "soldier").

    A number answers the question only when it counts that: "3,320 ISIS terrorists" does not answer it.
    """
    match = _COUNTED.search(question)
    if match is None:
        return ()
    out: list[str] = []
    for word in match.group(1).split()[:3]:
        if word.lower() in _COUNT_STOP or (len(word) > 3 and word.endswith("ed")):
            break  # "how many US soldiers died", "how many people were killed"
        if word.isdigit():
            continue  # "how many 2015 season interceptions"
        # An upper-case acronym ("US", "UN") is a name, not the stop word it spells.
        out.extend([word.lower()] if word.isupper() and len(word) > 1 else terms(word))
    return tuple(out)


_NOUNS = "|".join((PLACE_NOUNS + " " + ORG_NOUNS + " " + PERSON_NOUNS).split())
_HEAD = re.compile(
    r"\b(?:which|what) (?:[\w'’-]+ ){0,2}?(" + _NOUNS + r")\b"
    r"|\bwho(?:m|se)? (?:is|was|are|were) (?:the |an? )?(?:[\w'’-]+ ){0,3}?(" + _NOUNS + r")\b"
)


def head_noun(question: str) -> str | None:
    """The noun a which-question asks for, stemmed: "Which district was he in charge of?" → "district".

    An answer is often named by it ("the Islah al-Zeraie district", "Abu Ayoub al-Shami, the group's military
    commander") even when no entity tagger recognises the name.
    """
    match = _HEAD.search(wh_clause(question))
    if match is None:
        return None
    found = terms(match.group(1) or match.group(2))
    return found[-1] if found else None


@dataclass(frozen=True)
class Question:
    text: str
    kind: AnswerType
    terms: tuple[str, ...]
    counted: tuple[str, ...] = ()
    head: str | None = None

    @classmethod
    def parse(cls, text: str, focus: str | None = None) -> Question:
        """`focus` is the part of a rewritten follow-up that carries the answer type (the user's own words)."""
        own = focus or text
        kind = answer_type(own)
        return cls(
            text=text,
            kind=kind,
            terms=tuple(dict.fromkeys(terms(text))),
            counted=counted_terms(own) if kind == "number" else (),
            head=head_noun(own),
        )
