"""Content terms: stemmed words without stop words, the unit in which a claim's words are found in a source.

The LLM answerer's support check counts how many of a claim's terms its cited paragraph holds; stemming the same
way as the keyword index (PyStemmer, bm25s' English stop words) keeps that count on the same footing as retrieval.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Words a question is made of whatever it asks: they say nothing about what a source must contain.
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
        "",
    ]
)
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | QUESTION_WORDS


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def terms(text: str) -> list[str]:
    """Stemmed content words, in order, without stop words."""
    stop = _stopwords()
    toks = []
    for w in words(text):
        for part in re.split(r"['’-]", w.lower()):
            if part and part not in stop and not (len(part) == 1 and part.isalpha()):
                toks.append(part)
    return _stemmer().stemWords(toks) if toks else []
