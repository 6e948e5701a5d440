"""Question + passage pairs → model windows, and the map from each window's tokens back to passage characters.

Training and reading share this one encoding, so the model is read exactly the way it was taught. A passage longer
than the window is cut into overlapping windows (`stride` tokens shared), the standard SQuAD recipe.

No segment (token type) ids are fed: the base all-MiniLM-L6-v2 was trained with none, and readers built for
RoBERTa-style models (Haystack's among them) pass only ids and the attention mask, so the shipped weights read the
same everywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer_text import normalize_answer

CLS_INDEX = 0  # the no-answer option is the first token ([CLS]), as in SQuAD 2.0 models
RIVALS = 5  # spans per window searched for one worded differently from its best
MAX_QUESTION_TOKENS = 64  # SQuAD's max_query_length: a longer question is cut, so the passage keeps the window


@dataclass
class Window:
    """One model input: token ids, and for each token its character range in the passage (None outside it)."""

    sample: int  # index of the (question, passage) pair this window belongs to
    input_ids: list[int]
    char_spans: list[tuple[int, int] | None]
    text: str = ""  # the passage (char_spans index into it)

    @property
    def context_range(self) -> tuple[int, int]:
        """First and last token index that belong to the passage."""
        inside = [i for i, span in enumerate(self.char_spans) if span is not None]
        return inside[0], inside[-1]


class WindowEncoder:
    """The weights' own tokenizer (`tokenizer.json`, run by the `tokenizers` library: no transformers import on
    the query path), set up to cut (question, passage) pairs into windows as transformers' fast tokenizers do with
    `truncation="only_second", stride=…, return_overflowing_tokens=True`."""

    def __init__(self, tokenizer_file: Path, max_length: int, stride: int) -> None:
        from tokenizers import Tokenizer

        self._plain = Tokenizer.from_file(str(tokenizer_file))
        self._plain.no_truncation()
        self._plain.no_padding()
        self._pairs = Tokenizer.from_file(str(tokenizer_file))
        self._pairs.no_padding()
        self._pairs.enable_truncation(max_length, stride=stride, strategy="only_second")
        config_file = tokenizer_file.with_name("tokenizer_config.json")
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
        self.pad_token_id = self._plain.token_to_id(config.get("pad_token", "[PAD]")) or 0

    def token_count(self, text: str) -> int:
        return len(self._plain.encode(text).ids)

    def __call__(self, questions: list[str], passages: list[str]) -> list[Window]:
        """Windows of at most `max_length` tokens for each pair, in order; a question keeps its first 64 tokens."""
        encoded = self._pairs.encode_batch(list(zip([self._shorten(q) for q in questions], passages, strict=True)))
        windows = []
        for sample, first in enumerate(encoded):
            for part in [first, *first.overflowing]:
                sequence_ids = part.sequence_ids
                spans = [(a, b) if sequence_ids[t] == 1 else None for t, (a, b) in enumerate(part.offsets)]
                windows.append(Window(sample, list(part.ids), spans, passages[sample]))
        return windows

    def _shorten(self, question: str) -> str:
        """The question up to its MAX_QUESTION_TOKENS-th token (whole, when shorter)."""
        if len(question) <= MAX_QUESTION_TOKENS:  # a token is at least one character
            return question
        offsets = self._plain.encode(question, add_special_tokens=False).offsets
        return question if len(offsets) <= MAX_QUESTION_TOKENS else question[: offsets[MAX_QUESTION_TOKENS - 1][1]]


def answer_tokens(window: Window, start_char: int, end_char: int) -> tuple[int, int]:
    """Token positions of an answer's characters in this window, or the no-answer position if it lies outside."""
    first, last = window.context_range
    spans = window.char_spans
    if not (spans[first][0] <= start_char and spans[last][1] >= end_char):  # type: ignore[index]
        return CLS_INDEX, CLS_INDEX
    start = first
    while start <= last and spans[start][1] <= start_char:  # type: ignore[index]
        start += 1
    end = last
    while end >= first and spans[end][0] >= end_char:  # type: ignore[index]
        end -= 1
    return (start, end) if start <= end else (CLS_INDEX, CLS_INDEX)


def pad_batch(windows: list[Window], pad_id: int) -> dict[str, np.ndarray]:
    """Dynamic padding: a batch is as long as its longest window (batches are grouped by length)."""
    width = max(len(w.input_ids) for w in windows)
    ids = np.full((len(windows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(windows), width), dtype=np.int64)
    for row, w in enumerate(windows):
        ids[row, : len(w.input_ids)] = w.input_ids
        mask[row, : len(w.input_ids)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def legal_span_scores(
    windows: list[Window], starts: np.ndarray, ends: np.ndarray, max_answer_tokens: int
) -> np.ndarray:
    """(windows, width, width) start + end logit of every legal span: inside the passage, end not before start, at
    most `max_answer_tokens` long; -inf elsewhere."""
    width = starts.shape[1]
    context = np.zeros((len(windows), width), dtype=bool)
    for row, w in enumerate(windows):
        context[row, : len(w.char_spans)] = [span is not None for span in w.char_spans]
    i = np.arange(width)
    band = (i[None, :] >= i[:, None]) & (i[None, :] - i[:, None] < max_answer_tokens)
    legal = band[None] & context[:, :, None] & context[:, None, :]
    return np.where(legal, starts[:, :, None] + ends[:, None, :], -np.inf)


@dataclass(frozen=True)
class WindowRead:
    """One window's best span (token positions, start + end logit, its normalised words), its no-answer ([CLS])
    score, and the best score of a span worded differently from the best one (-inf when none is among its top
    RIVALS spans)."""

    start: int
    end: int
    score: float
    null: float
    rival: float = float("-inf")
    words: str = ""


def read_windows(
    windows: list[Window], starts: np.ndarray, ends: np.ndarray, max_answer_tokens: int
) -> list[WindowRead]:
    """Each window's best legal span and its best differently worded rival (`qa.reader.cascade` uses those)."""
    flat = legal_span_scores(windows, starts, ends, max_answer_tokens).reshape(len(windows), -1)
    width = starts.shape[1]
    best = flat.argmax(axis=1)
    count = min(RIVALS + 1, flat.shape[1])
    top = np.argpartition(-flat, count - 1, axis=1)[:, :count]
    null = starts[:, CLS_INDEX] + ends[:, CLS_INDEX]
    reads = []
    for row, window in enumerate(windows):
        score = float(flat[row, best[row]])
        start, end = divmod(int(best[row]), width)
        words = normalize_answer(span_text(window, start, end)) if np.isfinite(score) else ""
        others = sorted(
            (k for k in top[row] if k != best[row] and np.isfinite(flat[row, k])), key=lambda k: -flat[row, k]
        )
        differing = (k for k in others if normalize_answer(span_text(window, *divmod(int(k), width))) != words)
        rival = next((float(flat[row, k]) for k in differing), float("-inf"))
        reads.append(WindowRead(start, end, score, float(null[row]), rival, words))
    return reads


def span_text(window: Window, start: int, end: int) -> str:
    """The passage's words from token `start` to token `end`."""
    first, last = window.char_spans[start], window.char_spans[end]
    return "" if first is None or last is None else window.text[first[0] : last[1]]
