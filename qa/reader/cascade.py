"""int8 first, fp32 where int8 is unsure: the reader's `onnx-cascade` runtime.

The int8 export reads twice as fast as fp32 but picks other words on about one question in nine (SQuAD v1.1 train
sample: 0.893 of fp32's answers; bundled questions 0.885). Nearly all of those are questions where two different
answers score within a logit of each other, or where the best span's margin over "no answer" is close to the
refusal threshold. So every window is read in int8, and where the best answer's lead over the best differently
worded answer, or its margin's distance from the threshold, is below `gap` (start + end logits), the passages that
hold a span within `gap` of the best are read again in fp32 and their fp32 spans replace the int8 ones; so are an
article's passages whose spans score within `gap` of each other, since the answerer cites each article's best. `gap` is
fitted by `python -m eval.reader_cascade` on SQuAD v1.1 train questions (README, "Running the reader").
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from qa.reader.windows import Window, WindowRead


def contested_samples(
    windows: list[Window],
    reads: list[WindowRead],
    questions: list[str],
    articles: list[str],
    threshold: float,
    gap: float,
) -> set[int]:
    """The (question, passage) pairs to read again exactly: for each question whose best answer is contested, the
    passages holding a span within `gap` of its best; and for each article (`articles[sample]`) with two confident
    passages within `gap` of each other, those passages (the answerer cites one span per article, its best)."""
    by_question: dict[str, list[int]] = defaultdict(list)
    for row, window in enumerate(windows):
        if np.isfinite(reads[row].score):
            by_question[questions[window.sample]].append(row)
    null_of: dict[int, float] = {}
    for row, window in enumerate(windows):  # a passage's no-answer score is its lowest over its windows
        null_of[window.sample] = min(null_of.get(window.sample, float("inf")), reads[row].null)
    again: set[int] = set()
    for rows in by_question.values():
        best = max(rows, key=lambda row: reads[row].score)
        lead = reads[best].score - _best_rival(reads, rows, best)
        margin = reads[best].score - null_of[windows[best].sample]
        if lead < gap or abs(margin - threshold) < gap:
            again |= {windows[row].sample for row in rows if reads[row].score >= reads[best].score - gap}
        confident = [row for row in rows if reads[row].score - null_of[windows[row].sample] > threshold - gap]
        again |= _close_in_one_article(windows, reads, confident, articles, gap)
    return again


def _close_in_one_article(
    windows: list[Window], reads: list[WindowRead], rows: list[int], articles: list[str], gap: float
) -> set[int]:
    """Passages of one article whose best spans score within `gap` of that article's best one, where it has two."""
    by_article: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_article[articles[windows[row].sample]].append(row)
    close: set[int] = set()
    for article_rows in by_article.values():
        top = max(reads[row].score for row in article_rows)
        near = {windows[row].sample for row in article_rows if reads[row].score >= top - gap}
        close |= near if len(near) > 1 else set()
    return close


def _best_rival(reads: list[WindowRead], rows: list[int], best: int) -> float:
    """The best score of an answer worded differently from the best window's span, in any window of the question."""
    rival = reads[best].rival
    for row in rows:
        if row != best and reads[row].score > rival:
            rival = reads[row].score if reads[row].words != reads[best].words else max(rival, reads[row].rival)
    return rival
