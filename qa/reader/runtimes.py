"""What computes the reader's start and end logits for a batch of windows: ONNX Runtime over an export of the
shipped weights (fp32 by default, or int8 weights; `CITED_READER_RUNTIME`) or torch with transformers.

ONNX Runtime keeps torch and transformers out of the query path (a cold `cited ask` no longer imports them, a
server no longer holds them), and its int8 MatMuls use the CPU's integer dot-product units.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.limits import ReaderRuntime, Runtime
from index.onnx_export import ExportSpec, balanced_lanes, ensure_export, open_session, runtime_precision
from qa.reader.windows import Window, pad_batch

WEIGHT_FILES = ("config.json", "model.safetensors", "tokenizer.json")
READER_EXPORT = ExportSpec(
    what="reader",
    auto_class="AutoModelForQuestionAnswering",
    inputs=("input_ids", "attention_mask"),  # no segment ids: see qa.reader.windows
    outputs=("start_logits", "end_logits"),
    source_files=WEIGHT_FILES,
    fallback="or set CITED_READER_RUNTIME=torch",
)


class Logits(Protocol):
    name: str

    def __call__(self, windows: list[Window], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(start logits, end logits), float32, one row per window, as wide as the longest window."""


def reader_stages(runtime: ReaderRuntime) -> tuple[Runtime, ...]:
    """The model runtimes a reader runtime reads with: one, or the cascade's int8 then fp32 (`qa.reader.cascade`)."""
    if runtime == "onnx-cascade":
        return ("onnx-int8", "onnx")
    return (runtime,)


def load_logits(model_dir: Path, runtime: Runtime, cache_dir: Path, threads: int) -> Logits:
    precision = runtime_precision(runtime)
    if precision is None:
        return TorchLogits(model_dir)
    return OnnxLogits(model_dir, precision, cache_dir, threads)


class OnnxLogits:
    """The export run one window at a time: with int8's dynamic quantization a batch shares one activation scale,
    so a window's scores would depend on its neighbours; alone, a passage always scores the same (and a short
    window computes no padding). Two windows or more are read in parallel, one lane per core, on one session."""

    def __init__(self, model_dir: Path, precision: str, cache_dir: Path, threads: int) -> None:
        onnx_file = ensure_export(model_dir, precision, cache_dir, READER_EXPORT)
        self.name = f"onnx {precision}"
        # One session, run by `lanes` threads at once: a single-thread session runs on its caller's thread, so the
        # lanes compute in parallel while sharing one copy of the weights.
        self._session = open_session(onnx_file, 1, READER_EXPORT)
        self._lanes = max(1, threads)
        self._pool: Any = None
        if self._lanes > 1:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self._lanes, thread_name_prefix="reader")

    def __call__(self, windows: list[Window], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(w.input_ids) for w in windows)
        starts = np.full((len(windows), width), -np.inf, dtype=np.float32)
        ends = starts.copy()

        def lane(rows: list[int]) -> None:
            for row in rows:
                start, end = self._session.run(list(READER_EXPORT.outputs), pad_batch([windows[row]], pad_id))
                n = len(windows[row].input_ids)
                starts[row, :n], ends[row, :n] = start[0], end[0]

        lanes = balanced_lanes([len(w.input_ids) for w in windows], self._lanes)
        if self._pool is None or len(lanes) == 1:
            for rows in lanes:
                lane(rows)
        else:
            list(self._pool.map(lane, lanes))
        return starts, ends


class TorchLogits:
    """transformers' model in float32, with bf16 autocast where the CPU computes bf16 natively (AVX512-BF16 or
    AMX; measured 1.7x faster there, same spans)."""

    def __init__(self, model_dir: Path) -> None:
        import torch
        from transformers import AutoModelForQuestionAnswering
        from transformers.utils import logging as hf_logging

        from index.embedder import cpu_has_bf16, default_threads

        hf_logging.disable_progress_bar()
        self._model = AutoModelForQuestionAnswering.from_pretrained(
            str(model_dir), local_files_only=True, dtype=torch.float32
        ).eval()
        self._threads = default_threads()
        self._bf16 = cpu_has_bf16()
        self.name = "torch bf16" if self._bf16 else "torch fp32"
        self._lock = threading.Lock()  # one forward pass at a time (torch's threads are process-wide)

    def __call__(self, windows: list[Window], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
        import torch

        inputs = {name: torch.from_numpy(array) for name, array in pad_batch(windows, pad_id).items()}
        with self._lock, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bf16):
            torch.set_num_threads(self._threads)  # process-wide: the embedder may have left it at 1
            out = self._model(**inputs)
        return out.start_logits.float().numpy(), out.end_logits.float().numpy()


def main() -> int:
    """Build (or check) the ONNX export of the reader for the configured runtime (`make setup` runs this), so the
    first question need not wait for it."""
    from index.settings import Settings
    from qa.reader.model import WEIGHTS_DIR

    settings = Settings()
    precisions = [p for stage in reader_stages(settings.reader_runtime) if (p := runtime_precision(stage))]
    if not precisions:
        print(f"CITED_READER_RUNTIME={settings.reader_runtime}: nothing to export")
    for precision in precisions:
        path = ensure_export(settings.reader_dir or WEIGHTS_DIR, precision, settings.encoder_cache_dir, READER_EXPORT)
        print(f"ONNX reader ready: {path} ({path.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
