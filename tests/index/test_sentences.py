"""The rule-based sentence splitter: boundaries, abbreviations, exact offsets."""

from __future__ import annotations

import pytest

from index.sentences import split_sentences

pytestmark = pytest.mark.unit


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "On Jan. 21, Islamic State was dealt several heavy blows. Shiite militias fought back.",
            ["On Jan. 21, Islamic State was dealt several heavy blows.", "Shiite militias fought back."],
        ),
        (
            "It lost ground, thanks to the U.S.-led air campaign. Mosul is next.",
            ["It lost ground, thanks to the U.S.-led air campaign.", "Mosul is next."],
        ),
        (
            "A U.S. official spoke. George W. Bush was not there. J. R. R. Tolkien neither.",
            ["A U.S. official spoke.", "George W. Bush was not there.", "J. R. R. Tolkien neither."],
        ),
        (
            "Maj. Gen. Najm al-Jabouri and Dr. Smith met Mr. Jones at St. Mary's. They talked.",
            ["Maj. Gen. Najm al-Jabouri and Dr. Smith met Mr. Jones at St. Mary's.", "They talked."],
        ),
        (
            "Brigade No. 5 advanced 3.5 km. Then it stopped.",
            ["Brigade No. 5 advanced 3.5 km.", "Then it stopped."],
        ),
        (
            "Did they win? Yes! “We did.” (It was close.) 2017 was hard.",
            ["Did they win?", "Yes!", "“We did.”", "(It was close.)", "2017 was hard."],
        ),
        (
            "Fighting continued, e.g. in the west. It spread.",
            ["Fighting continued, e.g. in the west.", "It spread."],
        ),
        ("no terminal punctuation at all", ["no terminal punctuation at all"]),
        ("It ended... and then resumed.", ["It ended... and then resumed."]),
    ],
)
def test_boundaries(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_offsets_are_shifted_and_exclude_whitespace() -> None:
    original = "HEADER\n  First one.   Second one.\t\n"
    start = original.index("First")
    paragraph = original[start : original.index("\t")]
    spans = split_sentences(paragraph, offset=start)
    assert [original[s:e] for s, e in spans] == ["First one.", "Second one."]
    assert spans[0][0] == start
    for s, e in spans:
        assert original[s:e] == original[s:e].strip()


def test_sentences_are_ordered_and_cover_the_text() -> None:
    text = "One. Two two. Three three three? Four!  Five “quoted.” Six (bracketed.) Seven"
    spans = split_sentences(text)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert len(spans) == 7
    # Only whitespace falls between sentences: nothing of the text is lost.
    assert "".join("".join(text[s:e].split()) for s, e in spans) == "".join(text.split())


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_blank_text_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_a_run_without_sentence_punctuation_is_cut_at_spaces_into_bounded_pieces() -> None:
    from index.sentences import MAX_SENTENCE_CHARS

    text = " ".join(f"word{i}" for i in range(40_000))  # ~270,000 characters, not one full stop
    spans = split_sentences(text, offset=7)
    assert all(e - s <= MAX_SENTENCE_CHARS for s, e in spans)
    assert len(spans) > len(text) // MAX_SENTENCE_CHARS
    pieces = [text[s - 7 : e - 7] for s, e in spans]
    assert " ".join(pieces) == text  # nothing lost, every cut at a space
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)
    no_spaces = "x" * (MAX_SENTENCE_CHARS * 2 + 5)
    assert [e - s for s, e in split_sentences(no_spaces)] == [MAX_SENTENCE_CHARS, MAX_SENTENCE_CHARS, 5]
