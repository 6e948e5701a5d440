"""The reader: a transformer fine-tuned on SQuAD (`cited train-reader`) that scores answer spans in passages.

Haystack's `ExtractiveReader` contract: build it (cheap, validates the weights' files), `warm_up()` loads the model
once, `read(question, paragraphs)` returns each passage's best span with character offsets into the original file, a
score comparable across passages, and that passage's no-answer score. Passages longer than the window are read in
overlapping windows and all windows of all passages go through the model in batches; concurrent questions share
passes (`qa.reader.batcher`).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from index.embedder import default_threads
from index.models import Paragraph, ReadSpan
from index.settings import apply_offline_guards
from qa.reader.batcher import Batcher
from qa.reader.windows import Window, encode, pad_batch

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHT_FILES = ("config.json", "model.safetensors", "tokenizer.json")
SHARED_PASS_WINDOWS = 64  # windows of concurrent questions read in one shared pass (about 12 questions' passages)


class ReaderModelError(RuntimeError):
    """The reader's weights are missing or unreadable; the message names the file and what to do."""


class Reader:
    def __init__(
        self,
        model_dir: Path = WEIGHTS_DIR,
        *,
        max_length: int = 384,
        stride: int = 128,
        max_answer_tokens: int = 30,
        batch_size: int = 16,
        bf16: bool | None = None,
    ) -> None:
        for name in WEIGHT_FILES:
            if not (model_dir / name).is_file():
                raise ReaderModelError(
                    f"reader weights file {model_dir / name} is missing; restore it with `git checkout -- {model_dir}` "
                    "or train one with `cited train-reader` (see the README)."
                )
        if not 32 <= max_length <= 512 or not 0 <= stride < max_length // 2:
            raise ValueError(f"reader window {max_length} / stride {stride} out of range (32..512, < half the window)")
        self.model_dir = model_dir
        self.max_length, self.stride = max_length, stride
        self.max_answer_tokens, self.batch_size = max_answer_tokens, batch_size
        # None: bf16 where the CPU computes it natively (AVX512-BF16/AMX); measured 1.7x faster, same spans.
        self.bf16 = bf16
        self._model: Any = None
        self._tokenizer: Any = None
        self._threads = 1
        self._bf16 = False
        self._lock = threading.Lock()  # one forward pass at a time (torch's threads are process-wide)
        self._load_lock = threading.Lock()
        self._batcher = Batcher(self._spans_in_length_order, max_items=SHARED_PASS_WINDOWS)

    def warm_up(self) -> None:
        """Load the tokenizer and the model once (float32 on CPU; the shipped weights are fp16). The server's first
        questions arrive together: transformers' lazy `__init__` is not thread-safe (concurrent first imports raise
        ImportError), so one thread loads while the others wait for it."""
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is None:
                self._load()

    def _load(self) -> None:
        apply_offline_guards()
        import torch
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir), local_files_only=True)
            model = AutoModelForQuestionAnswering.from_pretrained(
                str(self.model_dir), local_files_only=True, dtype=torch.float32
            )
        except Exception as err:  # safetensors, JSON and tokenizer errors all mean the same thing to the user
            raise ReaderModelError(
                f"reader weights in {self.model_dir} could not be loaded ({type(err).__name__}: {err}); the file "
                f"{self.model_dir / 'model.safetensors'} may be truncated or corrupt: restore it with "
                f"`git checkout -- {self.model_dir}`."
            ) from err
        model.eval()
        self._threads = default_threads()
        self._bf16 = cpu_has_bf16() if self.bf16 is None else self.bf16
        self._tokenizer, self._model = tokenizer, model

    @property
    def tokenizer(self) -> Any:
        self.warm_up()
        return self._tokenizer

    def read(self, question: str, paragraphs: list[Paragraph]) -> list[ReadSpan]:
        """Each passage's best span, best score first (passages without any context token are left out)."""
        found = self.read_pairs([question] * len(paragraphs), paragraphs)
        return sorted((span for span in found if span is not None), key=lambda span: span.score, reverse=True)

    def read_pairs(self, questions: list[str], paragraphs: list[Paragraph]) -> list[ReadSpan | None]:
        """The best span of each (question, paragraph) pair, in order; batched over all their windows."""
        if not paragraphs:
            return []
        self.warm_up()
        texts = [p.text for p in paragraphs]
        windows = encode(self._tokenizer, questions, texts, self.max_length, self.stride)
        best: dict[int, ReadSpan] = {}
        for window, (s, e, score, null) in zip(windows, self._batcher(windows), strict=True):
            self._keep_best(best, paragraphs[window.sample], window, s, e, score, null)
        return [best.get(i) for i in range(len(paragraphs))]

    def _spans_in_length_order(self, windows: list[Window]) -> list[tuple[int, int, float, float]]:
        """`_best_spans` over batches of similar length (little padding), results in the order given."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids))
        results: list[tuple[int, int, float, float]] = [(0, 0, 0.0, 0.0)] * len(windows)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            for i, result in zip(chunk, self._best_spans([windows[i] for i in chunk]), strict=True):
                results[i] = result
        return results

    def _best_spans(self, windows: list[Window]) -> list[tuple[int, int, float, float]]:
        """(start token, end token, span score, no-answer score) of each window's best legal span."""
        import torch

        inputs = pad_batch(windows, self._tokenizer.pad_token_id)
        with self._lock, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bf16):
            torch.set_num_threads(self._threads)  # process-wide: the embedder may have left it at 1
            out = self._model(**inputs)
        starts, ends = out.start_logits.float(), out.end_logits.float()
        width = starts.shape[1]
        context = torch.zeros((len(windows), width), dtype=torch.bool)
        for row, w in enumerate(windows):
            context[row, : len(w.char_spans)] = torch.tensor([span is not None for span in w.char_spans])
        i = torch.arange(width)
        band = (i[None, :] >= i[:, None]) & (i[None, :] - i[:, None] < self.max_answer_tokens)
        legal = band[None] & context[:, :, None] & context[:, None, :]
        scores = (starts[:, :, None] + ends[:, None, :]).masked_fill(~legal, float("-inf"))
        flat = scores.view(len(windows), -1).max(dim=1)
        results = []
        for row in range(len(windows)):
            s, e = divmod(int(flat.indices[row]), width)
            results.append((s, e, float(flat.values[row]), float(starts[row, 0] + ends[row, 0])))
        return results

    @staticmethod
    def _keep_best(
        best: dict[int, ReadSpan], paragraph: Paragraph, window: Window, s: int, e: int, score: float, null: float
    ) -> None:
        """One span per passage: the best over its windows; its no-answer score is the lowest over them (as in SQuAD
        2.0 evaluation, where a window that sees the answer speaks for the passage)."""
        spans = window.char_spans
        if spans[s] is None or spans[e] is None or score == float("-inf"):
            return
        first, last = spans[s][0], spans[e][1]  # type: ignore[index]
        previous = best.get(window.sample)
        null = min(null, previous.no_answer_score) if previous else null
        if previous is None or score > previous.score:
            span = ReadSpan(
                paragraph_id=paragraph.id,
                text=paragraph.text[first:last],
                start=paragraph.start + first,
                end=paragraph.start + last,
                score=score,
                no_answer_score=null,
            )
            best[window.sample] = span
        else:
            best[window.sample] = previous.model_copy(update={"no_answer_score": null})


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (oneDNN's check: AVX512-BF16 or AMX); elsewhere bf16 is emulated."""
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


@lru_cache(maxsize=4)
def _reader_at(model_dir: Path) -> Reader:
    return Reader(model_dir)


_CREATING = threading.Lock()


def shared_reader(model_dir: Path | None = None) -> Reader:
    """One Reader per weights folder and process: every answerer of a process shares the loaded model."""
    with _CREATING:  # concurrent first callers get the same Reader, not one model each
        return _reader_at((model_dir or WEIGHTS_DIR).resolve())  # one load per folder, however it is spelled
