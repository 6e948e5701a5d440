"""Text normalisation for comparing answers and evidence.

Two different comparisons need two different normalisations. Evidence is matched against paragraphs after only
cosmetic changes (case, whitespace, curly quotes), because the article files use typographic quotes while a
person writing a gold set types straight ones. Answers are compared with SQuAD v1.1's `normalize_answer`
(defined in `qa.answer_text`, which the answerer shares), so that our EM and F1 numbers mean what they mean in
the literature; curly quotes are folded to straight ones first, so a short answer quoted from a news article
(“Daesh”) still matches its gold answer (Daesh).
"""

from __future__ import annotations

import re

from qa.answer_text import QUOTES as _QUOTES
from qa.answer_text import normalize_answer

__all__ = ["contains_evidence", "normalize_answer", "normalize_text", "strip_citation_markers"]

_WHITESPACE = re.compile(r"\s+")
_CITATION_MARKER = re.compile(r"\[\d+\]")


def normalize_text(text: str) -> str:
    """Case-, whitespace- and quote-insensitive form, for 'does this paragraph contain that evidence?'."""
    return _WHITESPACE.sub(" ", text.translate(_QUOTES)).strip().lower()


def contains_evidence(paragraph: str, evidence: list[str]) -> bool:
    """True when the paragraph holds any (non-empty) evidence string."""
    haystack = normalize_text(paragraph)
    return any((needle := normalize_text(e)) and needle in haystack for e in evidence)


def strip_citation_markers(text: str) -> str:
    """Remove `[n]` markers, which would otherwise normalise to stray digits that 'match' numeric answers."""
    return _CITATION_MARKER.sub(" ", text)
