"""Comparing two answers the way SQuAD does: one normalisation and one token F1 for the answerer and the evaluation.

The answerer uses them to tell whether two passages' spans say the same thing; `eval` scores answers with them, so
"agree" means the same in both. SQuAD v1.1's `normalize_answer`, with one addition: curly quotes are folded to
straight ones first (and so removed as punctuation); on SQuAD itself the two agree on every ASCII answer.
"""

from __future__ import annotations

import re
import string
from collections import Counter

QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD v1.1's normalize_answer: lower, drop punctuation, drop articles, collapse whitespace."""
    text = text.translate(QUOTES).lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD's token F1 of two answers after normalisation; 0 when either is empty."""
    pred, truth = normalize_answer(prediction).split(), normalize_answer(gold).split()
    same = sum((Counter(pred) & Counter(truth)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(truth)
    return 2 * precision * recall / (precision + recall)
