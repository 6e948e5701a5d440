"""The packaged sentence encoder run by ONNX Runtime instead of torch: the same vectors (fp32) or close ones
(int8), without importing torch, transformers or sentence-transformers on the query path.

The export is made on first use and cached (`index.onnx_export`); `python -m index.onnx_encoder` builds it ahead
of time (`make setup` does).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from index.onnx_export import balanced_lanes, ensure_export, open_session, runtime_precision
from index.pooling import Span, normalised, pool_text


class OnnxEmbedder:
    """Normalised float32 vectors from the exported encoder, mean-pooled over the tokens like sentence-transformers
    does for this model."""

    def __init__(self, model_path: Path, precision: str, cache_dir: Path, threads: int) -> None:
        from tokenizers import Tokenizer

        onnx_file = ensure_export(model_path, precision, cache_dir)
        self.model_path = model_path
        self.precision = precision
        config = json.loads((model_path / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self._tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(int(config.get("max_seq_length", 256)))
        self._onnx_file = onnx_file
        self._threads = threads
        self._session = open_session(onnx_file, threads)
        self._lane_session: Any = None  # a one-thread session for long batches, made on first need (ingest only)
        from index.embedder import model_name

        self.name = f"{model_name(model_path)} (onnx {precision})"
        # fp32 gives torch's vectors (cosine > 0.99999 on SQuAD paragraphs); int8 ones are only close to them.
        self.vector_space = model_name(model_path) if precision == "fp32" else self.name
        self.dimension = int(json.loads((model_path / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        self._lock = threading.Lock()

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """One text per run, whatever `batch_size` says. int8's dynamic quantization scales activations over the
        whole input, so in a batch a text's vector would depend on its neighbours (cosine 0.97 to its own vector
        measured): one at a time, a text always gets the same vector. It is also faster here, with no padding to
        compute (SQuAD paragraphs: 4.7 s against 7.5 s in sorted batches of 64)."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            for row, text in enumerate(texts):
                vectors[row] = self._encode_batch([text])[0]
        return vectors

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_with_spans(
        self, texts: list[str], spans: list[list[Span]], *, batch_size: int = 64
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and, from the same forward pass, a vector for each of its character spans
        (`index.pooling`); a span the length limit cut off is embedded on its own.

        A long batch (an ingest's) runs in one lane per core, texts dealt by length (`balanced_lanes`), each lane
        calling the same single-threaded session (it computes on its caller's thread, so lanes run in parallel on
        one copy of the weights): one text at a time is too small to keep two cores busy inside one session (SQuAD
        paragraphs: 53 a second against 40)."""
        results: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0), np.zeros(0))] * len(texts)
        with self._lock:
            lanes = self._threads if len(texts) >= 2 * self._threads > 2 else 1
            session = self._single_thread_session() if lanes > 1 else self._session

            def work(rows: list[int]) -> None:
                for row in rows:
                    results[row] = self._pool_one(session, texts[row], spans[row])

            dealt = balanced_lanes([len(text) for text in texts], lanes)  # characters: about the tokens
            if len(dealt) <= 1:
                for rows in dealt:
                    work(rows)
            else:
                with ThreadPoolExecutor(len(dealt)) as pool:
                    list(pool.map(work, dealt))
        vectors = np.stack([vector for vector, _ in results]) if texts else np.zeros((0, self.dimension), np.float32)
        return vectors.astype(np.float32), [pooled for _, pooled in results]

    def _single_thread_session(self) -> Any:
        if self._lane_session is None:
            self._lane_session = open_session(self._onnx_file, 1)
        return self._lane_session

    def _pool_one(self, session: Any, text: str, spans: list[Span]) -> tuple[np.ndarray, np.ndarray]:
        encoding = self._tokenizer.encode(text)
        tokens = self._run(np.asarray([encoding.ids], dtype=np.int64), session=session)[0]
        offsets, special = np.asarray(encoding.offsets), np.asarray(encoding.special_tokens_mask)
        return pool_text(text, tokens, offsets, special, spans, self._encode_alone)

    def _encode_alone(self, text: str) -> np.ndarray:
        """A span embedded on its own, from inside a batch that already holds the lock."""
        return self._encode_batch([text])[0]

    def _run(self, ids: np.ndarray, mask: np.ndarray | None = None, session: Any = None) -> np.ndarray:
        """Token vectors (batch, tokens, dim) for padded token ids."""
        mask = np.ones_like(ids) if mask is None else mask
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return np.asarray((session or self._session).run(None, feeds)[0])

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        tokens = self._run(ids, mask)
        summed = (tokens * mask[..., None]).sum(axis=1)
        return normalised(summed / np.maximum(mask.sum(axis=1, keepdims=True), 1))


def main(argv: list[str] | None = None) -> int:
    """Build (or check) the ONNX export for the configured model, so the first ingest or query need not."""
    from index.embedder import default_model_path
    from index.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m index.onnx_encoder", description=main.__doc__)
    parser.parse_args(argv)
    settings = Settings()
    precision = runtime_precision(settings.encoder)
    if precision is None:
        print(f"CITED_ENCODER={settings.encoder}: nothing to export")
        return 0
    model = Path(settings.embed_model) if settings.embed_model else default_model_path()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = ensure_export(model, precision, settings.encoder_cache_dir)
    print(f"ONNX encoder ready: {path} ({path.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
