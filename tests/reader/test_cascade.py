"""The onnx-cascade reader: int8's answer stands where it is clear, fp32 re-reads what int8 leaves contested (a
close rival worded differently, or a margin near the refusal threshold), and with no gap or an unbounded one it reads
exactly what int8 or fp32 alone reads."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa.answer_text import normalize_answer
from qa.reader.cascade import contested_samples
from qa.reader.model import Reader
from qa.reader.windows import Window, WindowRead, span_text

TEXTS = ["Iraqi forces retook Mosul.", "the Iraqi forces retook it", "Kurdish fighters held the line."]


def _window(sample: int, text: str) -> Window:
    """A window whose token i covers word i of `text` (no question tokens: enough for span_text)."""
    spans: list[tuple[int, int] | None] = []
    at = 0
    for word in text.split():
        start = text.index(word, at)
        spans.append((start, start + len(word)))
        at = start + len(word)
    return Window(sample, list(range(len(spans))), spans, text)


WINDOWS = [_window(i, t) for i, t in enumerate(TEXTS)]


def _worded(reads: list[WindowRead]) -> list[WindowRead]:
    """The reads with their spans' normalised words, as `read_windows` gives them."""
    return [
        replace(r, words=normalize_answer(span_text(w, r.start, r.end))) for w, r in zip(WINDOWS, reads, strict=True)
    ]


QUESTION = ["Who retook Mosul?"] * 3
ARTICLES = ["a", "b", "c"]


@pytest.mark.unit
def test_two_close_passages_of_one_article_are_read_again() -> None:
    """The answerer cites an article's best span: which of its passages that is must be fp32's choice too."""
    reads = [WindowRead(0, 1, 9.0, 0.0), WindowRead(0, 2, 6.0, 0.0), WindowRead(0, 1, 5.7, 0.0)]
    assert contested_samples(WINDOWS, _worded(reads), QUESTION, ARTICLES, threshold=-1.5, gap=0.6) == set()
    assert contested_samples(WINDOWS, _worded(reads), QUESTION, ["a", "b", "b"], threshold=-1.5, gap=0.6) == {1, 2}
    unsure = [WindowRead(0, 1, 9.0, 0.0), WindowRead(0, 2, 6.0, 9.0), WindowRead(0, 1, 5.7, 9.0)]
    assert contested_samples(WINDOWS, _worded(unsure), QUESTION, ["a", "b", "b"], threshold=-1.5, gap=0.6) == set()


@pytest.mark.unit
def test_a_clear_answer_is_not_read_again() -> None:
    reads = [WindowRead(0, 1, 9.0, 0.0, 4.0), WindowRead(0, 2, 8.9, 0.0), WindowRead(0, 1, 3.0, 0.0)]
    # passage 1's "the Iraqi forces" is the same answer as "Iraqi forces": no rival within the gap
    assert contested_samples(WINDOWS, _worded(reads), QUESTION, ARTICLES, threshold=-1.5, gap=1.0) == set()


@pytest.mark.unit
def test_a_close_rival_worded_differently_sends_the_passages_near_the_top_to_fp32() -> None:
    reads = [WindowRead(0, 1, 9.0, 0.0), WindowRead(0, 2, 8.9, 0.0), WindowRead(0, 1, 8.5, 0.0)]
    assert contested_samples(WINDOWS, _worded(reads), QUESTION, ARTICLES, threshold=-1.5, gap=1.0) == {0, 1, 2}
    assert contested_samples(WINDOWS, _worded(reads), QUESTION, ARTICLES, threshold=-1.5, gap=0.2) == set()
    within = [WindowRead(0, 1, 9.0, 0.0, rival=8.6), WindowRead(0, 2, 5.0, 0.0), WindowRead(0, 1, 2.0, 0.0)]
    assert contested_samples(WINDOWS, _worded(within), QUESTION, ARTICLES, threshold=-1.5, gap=1.0) == {
        0
    }  # its own runner-up


@pytest.mark.unit
def test_a_margin_near_the_refusal_threshold_is_read_again() -> None:
    reads = [WindowRead(0, 1, 2.0, 3.2), WindowRead(0, 2, 0.0, 5.0), WindowRead(0, 1, -4.0, 6.0)]
    assert contested_samples(WINDOWS, _worded(reads), QUESTION, ARTICLES, threshold=-1.5, gap=1.0) == {0}  # margin -1.2
    assert contested_samples(WINDOWS, _worded(reads), QUESTION, ARTICLES, threshold=-5.0, gap=1.0) == set()


@pytest.mark.integration
def test_the_cascade_reads_as_int8_without_a_gap_and_as_fp32_with_an_unbounded_one() -> None:
    from test_runtimes import PASSAGES, QUESTIONS, as_paragraphs

    paragraphs = as_paragraphs(PASSAGES)
    alone = {runtime: Reader(runtime=runtime) for runtime in ("onnx", "onnx-int8")}
    for gap, same_as in ((0.0, "onnx-int8"), (1e9, "onnx")):
        cascade = Reader(runtime="onnx-cascade", cascade_gap=gap)
        for question in QUESTIONS:
            expected = alone[same_as].read(question, paragraphs)
            got = cascade.read(question, paragraphs)
            assert [(s.paragraph_id, s.text) for s in got] == [(s.paragraph_id, s.text) for s in expected]
            assert [s.score for s in got] == pytest.approx([s.score for s in expected], abs=1e-4)
    assert cascade.reread_passages == len(QUESTIONS) * len(PASSAGES)
    assert cascade.name == "onnx int8, onnx fp32 where contested (gap 1e+09)"
