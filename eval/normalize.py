"""Text normalisation for comparing answers and evidence.

Two different comparisons need two different normalisations. Evidence is matched against paragraphs after only
cosmetic changes (case, whitespace, curly quotes), because the article files use typographic quotes while a
person writing a gold set types straight ones. Answers are compared with SQuAD v1.1's `normalize_answer`, so
that our EM and F1 numbers mean what they mean in the literature, with one addition: curly quotes are folded
to straight ones first (and so removed as punctuation). The official script keeps them, which would make a
short answer quoted from a news article (“Daesh”) miss its gold answer (Daesh); on SQuAD itself the two agree
on every ASCII answer.
"""

from __future__ import annotations

import re
import string

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_WHITESPACE = re.compile(r"\s+")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)
_CITATION_MARKER = re.compile(r"\[\d+\]")


def normalize_text(text: str) -> str:
    """Case-, whitespace- and quote-insensitive form, for 'does this paragraph contain that evidence?'."""
    return _WHITESPACE.sub(" ", text.translate(_QUOTES)).strip().lower()


def contains_evidence(paragraph: str, evidence: list[str]) -> bool:
    """True when the paragraph holds any (non-empty) evidence string."""
    haystack = normalize_text(paragraph)
    return any((needle := normalize_text(e)) and needle in haystack for e in evidence)


def normalize_answer(text: str) -> str:
    """SQuAD v1.1's normalize_answer: lower, drop punctuation, drop articles, collapse whitespace."""
    text = text.translate(_QUOTES).lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def strip_citation_markers(text: str) -> str:
    """Remove `[n]` markers, which would otherwise normalise to stray digits that 'match' numeric answers."""
    return _CITATION_MARKER.sub(" ", text)
