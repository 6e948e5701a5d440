"""Normalisation: the SQuAD rules for answers, the cosmetic rules for evidence."""

from __future__ import annotations

import pytest

from eval.normalize import contains_evidence, normalize_answer, normalize_text, strip_citation_markers

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Denver Broncos", "denver broncos"),  # case and a leading article
        ("a cat and an owl", "cat and owl"),  # every article, not just the first
        ("theatre", "theatre"),  # 'the' inside a word stays
        ("Broncos!", "broncos"),  # punctuation
        ("U.S.-led", "usled"),  # punctuation inside words is removed, not replaced by spaces
        ("  Denver \t\n Broncos  ", "denver broncos"),  # whitespace
        ("“Daesh”", "daesh"),  # curly double quotes go like straight ones
        ("Iraq’s", "iraqs"),  # curly apostrophe goes like a straight one
        ("", ""),
        ("the", ""),  # an answer that is only an article normalises to nothing
    ],
)
def test_normalize_answer(raw: str, expected: str) -> None:
    assert normalize_answer(raw) == expected


def test_normalize_text_folds_case_whitespace_and_quotes_but_keeps_punctuation() -> None:
    assert normalize_text("  Iraq’s  “Popular\nMobilization”  ") == 'iraq\'s "popular mobilization"'
    assert normalize_text("A, b.") == "a, b."


def test_contains_evidence_ignores_cosmetic_differences() -> None:
    paragraph = "The spokesman for Iraq’s Popular Mobilization Forces said"
    assert contains_evidence(paragraph, ["iraq's popular   mobilization forces"])
    assert contains_evidence(paragraph, ["nothing like it", "SPOKESMAN"])  # any of several
    assert not contains_evidence(paragraph, ["Iraqi Popular Mobilization"])
    assert not contains_evidence(paragraph, [])
    assert not contains_evidence(paragraph, ["", "   "])  # empty evidence never matches everything


def test_strip_citation_markers() -> None:
    assert normalize_answer(strip_citation_markers("It was 27 [1][2].")) == "it was 27"
