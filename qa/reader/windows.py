"""Question + passage pairs → model windows, and the map from each window's tokens back to passage characters.

Training and reading share this one encoding, so the model is read exactly the way it was taught. A passage longer
than the window is cut into overlapping windows (`stride` tokens shared), the standard SQuAD recipe.

No segment (token type) ids are fed: the base all-MiniLM-L6-v2 was trained with none, and readers built for
RoBERTa-style models (Haystack's among them) pass only ids and the attention mask, so the shipped weights read the
same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CLS_INDEX = 0  # the no-answer option is the first token ([CLS]), as in SQuAD 2.0 models
MAX_QUESTION_TOKENS = 64  # SQuAD's max_query_length: a longer question is cut, so the passage keeps the window


@dataclass
class Window:
    """One model input: token ids, and for each token its character range in the passage (None outside it)."""

    sample: int  # index of the (question, passage) pair this window belongs to
    input_ids: list[int]
    char_spans: list[tuple[int, int] | None]

    @property
    def context_range(self) -> tuple[int, int]:
        """First and last token index that belong to the passage."""
        inside = [i for i, span in enumerate(self.char_spans) if span is not None]
        return inside[0], inside[-1]


def encode(tokenizer: Any, questions: list[str], passages: list[str], max_length: int, stride: int) -> list[Window]:
    """Tokenize pairs into windows of at most `max_length` tokens; a question keeps its first 64 tokens."""
    encoded = tokenizer(
        [_shorten(tokenizer, q) for q in questions],
        passages,
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        return_token_type_ids=False,
        padding=False,
    )
    windows = []
    for i, ids in enumerate(encoded["input_ids"]):
        sequence_ids = encoded.sequence_ids(i)
        spans = [
            (int(a), int(b)) if sequence_ids[t] == 1 else None for t, (a, b) in enumerate(encoded["offset_mapping"][i])
        ]
        windows.append(Window(int(encoded["overflow_to_sample_mapping"][i]), ids, spans))
    return windows


def _shorten(tokenizer: Any, question: str) -> str:
    """The question up to its MAX_QUESTION_TOKENS-th token (whole, when shorter)."""
    if len(question) <= MAX_QUESTION_TOKENS:  # a token is at least one character
        return question
    offsets = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
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


def pad_batch(windows: list[Window], pad_id: int) -> dict[str, Any]:
    """Dynamic padding: a batch is as long as its longest window (batches are grouped by length)."""
    import torch

    width = max(len(w.input_ids) for w in windows)
    ids = torch.full((len(windows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(windows), width), dtype=torch.long)
    for row, w in enumerate(windows):
        n = len(w.input_ids)
        ids[row, :n] = torch.tensor(w.input_ids)
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask}
