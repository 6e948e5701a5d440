"""The reader: a transformer fine-tuned on SQuAD (`cited train-reader`) that scores answer spans in passages.

Haystack's `ExtractiveReader` contract: build it (cheap, validates the weights' files), `warm_up()` loads the model
once, `read(question, paragraphs)` returns each passage's best span with character offsets into the original file, a
score comparable across passages, and that passage's no-answer score. Passages longer than the window are read in
overlapping windows and all windows of all passages go through the model in batches; concurrent questions share
passes (`qa.reader.batcher`).
"""

from __future__ import annotations

import threading
from functools import lru_cache, partial
from pathlib import Path
from typing import cast

from index.embedder import cpu_threads
from index.limits import ReaderRuntime
from index.models import Paragraph, ReadSpan
from index.settings import (
    READER_CASCADE_GAP,
    READER_RUNTIME,
    READER_THRESHOLD,
    Settings,
    apply_offline_guards,
    export_cache_dir,
)
from qa.reader.batcher import Batcher
from qa.reader.cascade import contested_samples
from qa.reader.runtimes import WEIGHT_FILES, Logits, load_logits, reader_stages
from qa.reader.windows import Window, WindowEncoder, WindowRead, read_windows

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
SHARED_PASS_WINDOWS = 64  # windows of concurrent questions read in one shared pass (about 12 questions' passages)


class ReaderModelError(RuntimeError):
    """The reader's weights are missing or unreadable; the message names the file and what to do."""


class Reader:
    def __init__(
        self,
        model_dir: Path = WEIGHTS_DIR,
        *,
        runtime: ReaderRuntime = READER_RUNTIME,
        cache_dir: Path | None = None,
        max_length: int = 384,
        stride: int = 128,
        max_answer_tokens: int = 30,
        batch_size: int = 16,
        cascade_gap: float = READER_CASCADE_GAP,
        threshold: float = READER_THRESHOLD,
    ) -> None:
        for name in WEIGHT_FILES:
            if not (model_dir / name).is_file():
                raise ReaderModelError(
                    f"reader weights file {model_dir / name} is missing; restore it with `git checkout -- {model_dir}` "
                    "or train one with `cited train-reader` (see the README)."
                )
        if not 32 <= max_length <= 512 or not 0 <= stride < max_length // 2:
            raise ValueError(f"reader window {max_length} / stride {stride} out of range (32..512, < half the window)")
        self.model_dir, self.runtime = model_dir, runtime
        self.cache_dir = cache_dir or export_cache_dir()
        self.max_length, self.stride = max_length, stride
        self.max_answer_tokens, self.batch_size = max_answer_tokens, batch_size
        # onnx-cascade: int8 reads everything, fp32 (`_exact`) re-reads what int8 leaves contested (qa.reader.cascade);
        # `threshold` is the answerer's refusal threshold, whose near misses are contested too.
        self.cascade_gap, self.threshold = cascade_gap, threshold
        self.reread_passages = 0  # how many passages the cascade has read again in fp32 (a count for reports)
        self._logits: Logits | None = None
        self._exact: Logits | None = None
        self._windows: WindowEncoder | None = None
        self._load_lock = threading.Lock()
        self._batcher = Batcher(partial(self._reads_in_length_order, exact=False), max_items=SHARED_PASS_WINDOWS)
        self._exact_batcher = Batcher(partial(self._reads_in_length_order, exact=True), max_items=SHARED_PASS_WINDOWS)

    @classmethod
    def from_defaults(cls, settings: Settings, runtime: ReaderRuntime | None = None) -> Reader:
        """The settings' weights, export cache and cascade gap, run by `runtime` (default: the settings' own)."""
        return cls(
            settings.reader_dir or WEIGHTS_DIR,
            runtime=runtime or settings.reader_runtime,
            cache_dir=settings.encoder_cache_dir,
            cascade_gap=settings.reader_cascade_gap,
            threshold=settings.reader_threshold,
        )

    def warm_up(self) -> None:
        """Load the tokenizer and the model once. The server's first questions arrive together, so one thread loads
        while the others wait for it (transformers' lazy `__init__`, on the torch runtime, is not thread-safe)."""
        if self._logits is not None:
            return
        with self._load_lock:
            if self._logits is None:
                self._load()

    def _load(self) -> None:
        apply_offline_guards()
        check_weights(self.model_dir / "model.safetensors")
        try:
            windows = WindowEncoder(self.model_dir / "tokenizer.json", self.max_length, self.stride)
        except Exception as err:
            raise ReaderModelError(
                f"the reader's tokenizer {self.model_dir / 'tokenizer.json'} could not be read ({err}); restore it "
                f"with `git checkout -- {self.model_dir}`."
            ) from err
        first, *exact = reader_stages(self.runtime)
        self._logits = load_logits(self.model_dir, first, self.cache_dir, cpu_threads())
        self._exact = load_logits(self.model_dir, exact[0], self.cache_dir, cpu_threads()) if exact else None
        self._windows = windows

    @property
    def name(self) -> str:
        """What runs the model, e.g. "onnx int8" (after `warm_up`)."""
        self.warm_up()
        assert self._logits is not None
        if self._exact is not None:
            return f"{self._logits.name}, {self._exact.name} where contested (gap {self.cascade_gap:g})"
        return self._logits.name

    def token_count(self, text: str) -> int:
        self.warm_up()
        assert self._windows is not None
        return self._windows.token_count(text)

    def read(self, question: str, paragraphs: list[Paragraph]) -> list[ReadSpan]:
        """Each passage's best span, best score first (passages without any context token are left out)."""
        found = self.read_pairs([question] * len(paragraphs), paragraphs)
        return sorted((span for span in found if span is not None), key=lambda span: span.score, reverse=True)

    def read_pairs(self, questions: list[str], paragraphs: list[Paragraph]) -> list[ReadSpan | None]:
        """The best span of each (question, paragraph) pair, in order; batched over all their windows."""
        if not paragraphs:
            return []
        self.warm_up()
        assert self._windows is not None
        windows = self._windows(questions, [p.text for p in paragraphs])
        reads = self._batcher(windows)
        if self._exact is not None:
            articles = [p.doc_id for p in paragraphs]
            again = contested_samples(windows, reads, questions, articles, self.threshold, self.cascade_gap)
            self.reread_passages += len(again)
            rows = [row for row, window in enumerate(windows) if window.sample in again]
            for row, exact in zip(
                rows, self._exact_batcher([windows[row] for row in rows]) if rows else [], strict=True
            ):
                reads[row] = exact
        best: dict[int, ReadSpan] = {}
        for window, read in zip(windows, reads, strict=True):
            self._keep_best(best, paragraphs[window.sample], window, read)
        return [best.get(i) for i in range(len(paragraphs))]

    def _reads_in_length_order(self, windows: list[Window], exact: bool) -> list[WindowRead]:
        """Each window's read (`qa.reader.windows.read_windows`) over batches of similar length (little padding),
        in the order given; `exact`: by the cascade's fp32 model."""
        assert self._logits is not None and self._windows is not None
        logits = self._exact if exact and self._exact is not None else self._logits
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids))
        results: list[WindowRead | None] = [None] * len(windows)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            starts, ends = logits([windows[i] for i in chunk], self._windows.pad_token_id)
            for i, read in zip(
                chunk, read_windows([windows[i] for i in chunk], starts, ends, self.max_answer_tokens), strict=True
            ):
                results[i] = read
        assert all(read is not None for read in results), "every window was read"
        return cast(list[WindowRead], results)

    @staticmethod
    def _keep_best(best: dict[int, ReadSpan], paragraph: Paragraph, window: Window, read: WindowRead) -> None:
        """One span per passage: the best over its windows; its no-answer score is the lowest over them (as in SQuAD
        2.0 evaluation, where a window that sees the answer speaks for the passage)."""
        spans = window.char_spans
        if spans[read.start] is None or spans[read.end] is None or read.score == float("-inf"):
            return
        first, last = spans[read.start][0], spans[read.end][1]  # type: ignore[index]
        previous = best.get(window.sample)
        null = min(read.null, previous.no_answer_score) if previous else read.null
        if previous is None or read.score > previous.score:
            best[window.sample] = ReadSpan(
                paragraph_id=paragraph.id,
                text=paragraph.text[first:last],
                start=paragraph.start + first,
                end=paragraph.start + last,
                score=read.score,
                no_answer_score=null,
            )
        else:
            best[window.sample] = previous.model_copy(update={"no_answer_score": null})


def check_weights(weights: Path) -> None:
    """A clear error for a truncated or damaged weights file, read from its header alone (no model load)."""
    from safetensors import safe_open

    try:
        with safe_open(str(weights), framework="numpy") as handle:
            handle.keys()
    except Exception as err:  # safetensors raises its own error types for a short or garbled file
        raise ReaderModelError(
            f"reader weights could not be loaded ({type(err).__name__}: {err}); the file {weights} may be truncated "
            f"or corrupt: restore it with `git checkout -- {weights.parent}`."
        ) from err


@lru_cache(maxsize=4)
def _reader_at(model_dir: Path, runtime: ReaderRuntime, cache_dir: Path | None) -> Reader:
    return Reader(model_dir, runtime=runtime, cache_dir=cache_dir)


_CREATING = threading.Lock()


def shared_reader(
    model_dir: Path | None = None, runtime: ReaderRuntime = READER_RUNTIME, cache_dir: Path | None = None
) -> Reader:
    """One Reader per weights folder, runtime and process: every answerer of a process shares the loaded model."""
    with _CREATING:  # concurrent first callers get the same Reader, not one model each
        # one load per folder, however it is spelled
        return _reader_at((model_dir or WEIGHTS_DIR).resolve(), runtime, cache_dir)
