"""qa.citations: building citations from exact offsets, checking them, and renumbering [n] markers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from index.models import Paragraph, Span
from index.sentences import split_sentences
from index.settings import Settings
from qa.citations import make_citation, markers, renumber, verify

ORIGINAL = (
    "Bridge Reopens\n\n"
    "Riverside- The old bridge reopened on Monday. Repairs cost 4.2 million dollars, the council said.\n\n"
    "Traffic was light.\n"
)


def paragraph_at(text: str, n: int, doc_id: str = "bridge") -> Paragraph:
    start = ORIGINAL.index(text)
    end = start + len(text)
    return Paragraph(
        id=f"{doc_id}#{n}",
        doc_id=doc_id,
        n=n,
        text=text,
        title="Bridge Reopens",
        source="Riverside",
        start=start,
        end=end,
        sentences=[Span(start=s, end=e) for s, e in split_sentences(text, offset=start)],
    )


FIRST = paragraph_at("The old bridge reopened on Monday. Repairs cost 4.2 million dollars, the council said.", 1)
SECOND = paragraph_at("Traffic was light.", 2)


# --- renumber ---------------------------------------------------------------------------------------------------
@pytest.mark.unit
def test_renumber_orders_by_first_use_and_drops_out_of_range_markers() -> None:
    text, order = renumber("Forces retook it [3][1]. It took months [9]. Fighting went on [1] and on [3].", 3)
    assert order == [3, 1]
    assert text == "Forces retook it [1][2]. It took months. Fighting went on [2] and on [1]."
    assert markers(text) == [1, 2, 2, 1]


@pytest.mark.unit
@pytest.mark.parametrize("n_sources", [0, 2])
def test_markers_outside_one_to_n_are_dropped_with_their_space(n_sources: int) -> None:
    text, order = renumber("A claim [0]. Another [3], and more [12] .", n_sources)
    assert order == [] and markers(text) == []
    assert text == "A claim. Another, and more."


@pytest.mark.unit
def test_renumber_keeps_text_without_markers_and_is_idempotent() -> None:
    plain = "No markers here, just a sentence."
    assert renumber(plain, 5) == (plain, [])
    once, order = renumber("B [2]. A [1].", 2)
    assert (once, order) == ("B [1]. A [2].", [2, 1])
    twice, order2 = renumber(once, 2)
    assert twice == once and order2 == [1, 2]


@pytest.mark.unit
def test_markers_are_one_to_three_digits_in_brackets() -> None:
    assert markers("a [1] b [22] c [333] d [4444] e [x] f [ 5 ]") == [1, 22, 333]


# --- make_citation / verify -------------------------------------------------------------------------------------
@pytest.mark.unit
def test_make_citation_quotes_the_original_text_at_the_offsets_and_verifies() -> None:
    for span in FIRST.sentences:
        c = make_citation(2, FIRST, span.start, span.end, support=0.87654321)
        assert c.quote == ORIGINAL[span.start : span.end]
        assert c.verified and verify(c, FIRST)
        assert (c.n, c.paragraph_id, c.doc_id, c.title, c.source) == (
            2,
            "bridge#1",
            "bridge",
            "Bridge Reopens",
            "Riverside",
        )
        assert c.support == pytest.approx(0.8765, abs=1e-4)
    whole = make_citation(1, FIRST, FIRST.start, FIRST.end)
    assert whole.quote == FIRST.text and verify(whole, FIRST)


@pytest.mark.unit
@pytest.mark.parametrize(
    "start_delta, end_delta",
    [(-1, 0), (0, 1), (5, 5), (0, -len(FIRST.text))],
    ids=["starts-before", "ends-after", "empty-span", "end-before-start"],
)
def test_offsets_outside_the_paragraph_or_empty_do_not_verify(start_delta: int, end_delta: int) -> None:
    if start_delta == end_delta == 5:
        start = end = FIRST.start + 5
    else:
        start, end = FIRST.start + start_delta, FIRST.end + end_delta
    c = make_citation(1, FIRST, start, end)
    assert not c.verified
    assert not verify(c, FIRST)


@pytest.mark.unit
@pytest.mark.parametrize(
    "change",
    [
        {"quote": "The old bridge reopened on Tuesday."},
        {"quote": "The old bridge reopened on Monday"},  # one character short
        {"start": FIRST.sentences[0].start + 1},
        {"end": FIRST.sentences[0].end - 1},
        {"paragraph_id": "bridge#2"},
    ],
    ids=["other-words", "truncated-quote", "shifted-start", "shifted-end", "other-paragraph"],
)
def test_a_tampered_citation_fails_verify(change: dict[str, object]) -> None:
    span = FIRST.sentences[0]
    good = make_citation(1, FIRST, span.start, span.end)
    assert verify(good, FIRST)
    assert not verify(good.model_copy(update=change), FIRST)


@pytest.mark.unit
def test_a_citation_does_not_verify_against_another_paragraph() -> None:
    c = make_citation(1, SECOND, SECOND.start, SECOND.end)
    assert verify(c, SECOND) and not verify(c, FIRST)


@pytest.mark.integration
def test_every_sentence_of_the_bundled_index_round_trips(
    articles_settings: Settings,
    retriever,
    original: Callable[[str], str],  # type: ignore[no-untyped-def]
) -> None:
    paragraphs = retriever.snapshot.paragraphs
    assert len(paragraphs) > 40
    checked = 0
    for p in paragraphs:
        assert p.sentences, p.id
        for span in p.sentences:
            c = make_citation(1, p, span.start, span.end)
            assert c.verified and verify(c, p)
            assert c.quote == original(p.path)[span.start : span.end] and c.quote.strip() == c.quote
            checked += 1
    assert checked > len(paragraphs)


@pytest.mark.unit
def test_a_citation_carries_its_answer_words_and_they_must_lie_inside_the_quote() -> None:
    text = "Riverside- The old bridge reopened on Monday. Repairs cost 4.2 million dollars, the council said."
    p = paragraph_at(text, 1)
    q0 = ORIGINAL.index("Repairs cost")
    q1 = ORIGINAL.index("said.") + len("said.")
    a0 = ORIGINAL.index("4.2 million dollars")
    c = make_citation(1, p, q0, q1, answer=(a0, a0 + len("4.2 million dollars")))
    assert ORIGINAL[c.answer_start : c.answer_end] == "4.2 million dollars"  # type: ignore[misc]
    assert make_citation(1, p, q0, q1).answer_start is None
    with pytest.raises(ValueError, match="outside the quote"):
        make_citation(1, p, q0, q1, answer=(p.start, p.start + 5))
