"""Rewriting a follow-up ("When did they do it?") into a question retrieval can answer on its own.

Without an LLM the rewrite is rule-based: a pronoun that stands for the previous answer ("they", "he") becomes that
answer, and "there"/"then" becomes the previous answer when it was a place or a date. The earlier question travels
beside it as `Query.context`, so that retrieval sees the topic ("eastern Mosul") the user no longer repeats, while
the reader reads the user's own (resolved) words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PERSON_PRONOUNS = re.compile(r"\b(he|she|they|him|her|them|his|their|hers|theirs)\b", re.IGNORECASE)
OTHER_REFERENCES = re.compile(
    r"\b(it|its|this|that|these|those|there|then|the same|the group|the city)\b", re.IGNORECASE
)
ELLIPTIC = re.compile(r"^(?:and|what about|how about|and what about|also)\b", re.IGNORECASE)
POSSESSIVE = {"his", "their", "her", "hers", "theirs"}
# A "who" or "which" question's answer is what a later "they"/"he" stands for; "where"'s stands for "there".
WHO_KINDS = ("who", "which")
_KIND = re.compile(
    r"^\W*(?:(?:in|on|at|by|from|to|for|of|with|during|since|until) )?(who|whom|whose|which|when|where)\b"
)


@dataclass(frozen=True)
class Query:
    """A question as it will be answered: `text` is read, `text` + `context` is searched."""

    text: str
    context: str = ""  # the earlier question that gives a follow-up its topic; never parsed back out of `text`

    @property
    def search_text(self) -> str:
        return f"{self.text} {self.context}".strip()


@dataclass(frozen=True)
class Turn:
    question: str
    short_answer: str | None = None
    answer_kind: str = "any"
    standalone: Query | None = None  # how the question was understood, when it was itself a follow-up


def needs_context(question: str) -> bool:
    q = question.strip()
    return bool(PERSON_PRONOUNS.search(q) or OTHER_REFERENCES.search(q) or ELLIPTIC.match(q) or len(q.split()) <= 3)


def rewrite(question: str, history: list[Turn]) -> Query:
    """A standalone form of `question`, or `question` itself when it needs no context."""
    if not history or not needs_context(question):
        return Query(question)
    prev = history[-1]
    text = question.strip()
    answer = prev.short_answer
    who = next((t.short_answer for t in reversed(history) if t.short_answer and t.answer_kind in WHO_KINDS), None)
    if who and PERSON_PRONOUNS.search(text):

        def person(match: re.Match[str]) -> str:
            word = match.group(1).lower()
            if word in POSSESSIVE:
                return f"{who}'" if who.endswith("s") else f"{who}'s"
            return who

        text = PERSON_PRONOUNS.sub(person, text, count=1)
    elif answer and prev.answer_kind == "where":
        text = re.sub(r"\bthere\b", f"in {answer}", text, count=1, flags=re.IGNORECASE)
    elif answer and prev.answer_kind == "when":
        text = re.sub(r"\bthen\b", f"in {answer}", text, count=1, flags=re.IGNORECASE)
    return Query(text, _context(history))


def _context(history: list[Turn]) -> str:
    """The previous question as it was understood: a chain of follow-ups keeps the conversation's topic."""
    prev = history[-1]
    if prev.standalone and prev.standalone.search_text != prev.question.strip():
        return prev.standalone.search_text  # one level of context, however long the chain
    context = prev.question.strip()
    # Without that, the earliest question that stood on its own.
    for turn in reversed(history[:-1]):
        if not needs_context(turn.question):
            context = f"{context} {turn.question.strip()}"
            break
    return context


def turn_kind(question: str) -> str:
    """What the question's answer can stand for in a follow-up: "who"/"which" (a pronoun), "where" ("there"),
    "when" ("then"), or "any" (nothing)."""
    match = _KIND.match(question.lower())
    if match is None:
        return "any"
    word = match.group(1)
    return "who" if word.startswith("who") else word
