"""Rewriting a follow-up ("When did they do it?") into a question retrieval can answer on its own.

Without an LLM the rewrite is rule-based: a pronoun that stands for the previous answer ("they", "he") becomes that
answer, "there"/"then" becomes the previous answer when it was a place or a date, and the previous question is
appended so that retrieval sees the topic ("eastern Mosul") the user no longer repeats. The user's own words stay
first: they decide what kind of answer is wanted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.question import answer_type

PERSON_PRONOUNS = re.compile(r"\b(he|she|they|him|her|them|his|their|hers|theirs)\b", re.IGNORECASE)
OTHER_REFERENCES = re.compile(
    r"\b(it|its|this|that|these|those|there|then|the same|the group|the city)\b", re.IGNORECASE
)
ELLIPTIC = re.compile(r"^(?:and|what about|how about|and what about|also)\b", re.IGNORECASE)
POSSESSIVE = {"his", "their", "her", "hers", "theirs"}
WHO_KINDS = ("person", "person_group", "org")


@dataclass(frozen=True)
class Turn:
    question: str
    short_answer: str | None = None
    answer_kind: str = "any"
    standalone: str | None = None  # how the question was understood, when it was itself a follow-up


def needs_context(question: str) -> bool:
    q = question.strip()
    return bool(PERSON_PRONOUNS.search(q) or OTHER_REFERENCES.search(q) or ELLIPTIC.match(q) or len(q.split()) <= 3)


def rewrite(question: str, history: list[Turn]) -> str:
    """A standalone form of `question`, or `question` itself when it needs no context."""
    if not history or not needs_context(question):
        return question
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
    elif answer and prev.answer_kind == "place":
        text = re.sub(r"\bthere\b", f"in {answer}", text, count=1, flags=re.IGNORECASE)
    elif answer and prev.answer_kind == "date":
        text = re.sub(r"\bthen\b", f"in {answer}", text, count=1, flags=re.IGNORECASE)
    return f"{text} (context: {_context(history)})"


def _context(history: list[Turn]) -> str:
    """The previous question as it was understood: a chain of follow-ups keeps the conversation's topic."""
    prev = history[-1]
    if prev.standalone and prev.standalone.strip() != prev.question.strip():
        return flatten(prev.standalone)
    context = prev.question.strip()
    # Without that, the earliest question that stood on its own.
    for turn in reversed(history[:-1]):
        if not needs_context(turn.question):
            context = f"{context} {turn.question.strip()}"
            break
    return context


def flatten(standalone: str) -> str:
    """"Q2 (context: Q1)" → "Q2 Q1": one level of context, however long the chain."""
    text = standalone.strip()
    if " (context: " in text and text.endswith(")"):
        text = text[:-1].replace(" (context: ", " ", 1)
    return text


def turn_kind(question: str) -> str:
    return answer_type(question)
