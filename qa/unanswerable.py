"""Signs that the articles cannot answer a question, however close some sentence looks.

A question naming something the articles never name ("France", "2018"), or asking about an office they never
mention ("prime minister"), is refused with that reason instead of answered from a sentence about something else.
"""

from __future__ import annotations

import bisect
import re

from index.models import Passage
from index.snapshot import Snapshot
from qa.question import PERSON_NOUNS, terms

_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:[-’'][A-Za-z]+)*|\d{4})\b")
_ACRONYM_GLOSS = re.compile(r"\b([A-Z]{2,6}) \([^)]*\)")  # "PMF (Popular Mobilization Forces)" from qa.acronyms


def document_text(snapshot: Snapshot, doc: str) -> str:
    """Title, outlet and text of a whole article: where a name the question uses must appear."""
    return snapshot.derived("documents", _build_documents).get(doc, "")


def _build_documents(snapshot: Snapshot) -> dict[str, str]:
    texts: dict[str, list[str]] = {}
    for p in snapshot.paragraphs:
        texts.setdefault(p.doc_id, [f"{p.title} {p.source}"]).append(p.text)
    return {doc: " ".join(parts) for doc, parts in texts.items()}


def mentioned_in_articles(name: str, snapshot: Snapshot) -> bool:
    """Whether any article has a word starting with the name's stem (as `missing_names` matches it)."""
    vocabulary = snapshot.derived("vocabulary", _build_vocabulary)
    stem = _stem(name)
    i = bisect.bisect_left(vocabulary, stem)
    return i < len(vocabulary) and vocabulary[i].startswith(stem)


def _build_vocabulary(snapshot: Snapshot) -> list[str]:
    return sorted({w.lower() for p in snapshot.paragraphs for w in re.findall(r"\w+", f"{p.title} {p.text}")})


def _stem(word: str) -> str:
    return word.lower()[: max(4, len(word) - 2)]  # "Syrian" matches "Syria", "Iraqi" matches "Iraq's"


def missing_names(question: str, passages: list[Passage], context: str = "") -> list[str]:
    """Names and years in the question that neither the passages nor `context` (an article's text) mention.

    A question about something the articles never name cannot be answered from them, however similar the
    sentences around it are. The first word of the question and short acronyms ("UN", "TV", "PMF") are not
    counted: the first is capitalised anyway, and acronyms are often spelled out in the text.
    """
    text = _ACRONYM_GLOSS.sub(r"\1", question.split(" (context:")[0])  # the user's words, not qa.acronyms' glosses
    first = re.match(r"\W*(\w+)", text)
    haystack = " ".join([context, *(f"{p.paragraph.title} {p.paragraph.source} {p.text}" for p in passages)]).lower()
    missing = []
    for match in _NAME.finditer(text):
        word = match.group()
        if first and match.start() == first.start(1):
            continue
        if text[match.end() :].startswith(".") and len(word) <= 4:
            continue  # "Lt.", "Gen.", "Jan.": an abbreviated title or month
        if text[match.end() :].startswith(" name"):
            continue  # "the Arabic name for X": the language of a name, not something the articles must mention
        stem = _stem(word)
        if not re.search(r"\b" + re.escape(stem), haystack) and word.lower() not in COMMON_CAPITALISED:
            missing.append(word)
    return missing


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
    match = _ROLE.search(_ACRONYM_GLOSS.sub(r"\1", question.split(" (context:")[0]).lower())
    if match is None:
        return None
    phrase = match.group(1)
    modifiers = phrase.split()[:-1]  # the role noun itself may be paraphrased ("officer" for a general)
    return phrase if any(t not in idf for t in terms(" ".join(modifiers))) else None


COMMON_CAPITALISED = frozenset({"i", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
