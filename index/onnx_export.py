"""ONNX exports of the project's transformer models, built once and kept in a cache: the embedding model
(`index.onnx_encoder`) and the trained reader (`qa.reader.onnx_backend`) run on ONNX Runtime, not torch.

No ONNX file ships with either model, so one is exported on first use (torch's exporter; onnxruntime's own
quantizer for int8) into `<cache>/<what>-<precision>-<fingerprint>/`, with a manifest naming the source files'
sizes and modification times and the onnxruntime version. A missing, stale or unreadable export is rebuilt;
`python -m index.onnx_encoder` builds both ahead of time (`make setup` does).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import logging
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.limits import Runtime

MANIFEST = "manifest.json"
MODEL_FILE = "model.onnx"


def runtime_precision(runtime: Runtime) -> str | None:
    """ "onnx" → "fp32", "onnx-int8" → "int8"; None for torch (nothing to export)."""
    return {"onnx": "fp32", "onnx-int8": "int8"}.get(runtime)


class OnnxExportError(RuntimeError):
    """An ONNX export could not be built or read; the message says what to do."""


@dataclass(frozen=True)
class ExportSpec:
    """What to export from a model folder: the transformers class that loads it, the inputs it is fed, the
    outputs kept, the files whose change makes an export stale, and the way out when no export can be built."""

    what: str  # "encoder", "reader": the cache folder's prefix and the error messages' subject
    auto_class: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    source_files: tuple[str, ...]
    fallback: str


ENCODER_EXPORT = ExportSpec(
    what="encoder",
    auto_class="AutoModel",
    inputs=("input_ids", "attention_mask", "token_type_ids"),
    outputs=("last_hidden_state",),  # token vectors; pooling is done in numpy afterwards
    source_files=("config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json"),
    fallback="or set CITED_ENCODER=torch",
)


def fingerprint(model_path: Path, precision: str, spec: ExportSpec) -> dict[str, Any]:
    """What an export was made from: the source files' sizes and times, the precision and the runtime version.
    Any change (a new wheel, retrained weights, another onnxruntime) makes the export stale."""
    import onnxruntime

    files = {}
    for name in spec.source_files:
        path = model_path / name
        if path.is_file():
            stat = path.stat()
            files[name] = [stat.st_size, stat.st_mtime_ns]
    source = str(model_path.resolve())
    return {"source": source, "files": files, "precision": precision, "ort": onnxruntime.__version__}


def export_folder(model_path: Path, precision: str, cache_dir: Path, spec: ExportSpec = ENCODER_EXPORT) -> Path:
    made_from = json.dumps(fingerprint(model_path, precision, spec), sort_keys=True).encode()
    return cache_dir / f"{spec.what}-{precision}-{hashlib.blake2b(made_from, digest_size=8).hexdigest()}"


def ensure_export(model_path: Path, precision: str, cache_dir: Path, spec: ExportSpec = ENCODER_EXPORT) -> Path:
    """The ONNX file for `model_path` at `precision`, exported now unless a current, complete one exists."""
    folder = export_folder(model_path, precision, cache_dir, spec)
    if _is_current(folder, model_path, precision, spec):
        return folder / MODEL_FILE
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".lock", "w") as lock:  # two processes starting at once export it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_current(folder, model_path, precision, spec):
            _build(model_path, precision, folder, spec)
    return folder / MODEL_FILE


def _is_current(folder: Path, model_path: Path, precision: str, spec: ExportSpec) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        size = (folder / MODEL_FILE).stat().st_size
    except (OSError, ValueError):
        return False  # missing or damaged: build it again
    made_from = fingerprint(model_path, precision, spec)
    return bool(manifest.get("fingerprint") == made_from and size == manifest.get("bytes"))


def _build(model_path: Path, precision: str, folder: Path, spec: ExportSpec) -> None:
    """Export into a temporary folder beside the final one, then rename: a killed export leaves no half file."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        fp32 = tmp / "fp32.onnx"
        _export_fp32(model_path, fp32, spec)
        final = tmp / MODEL_FILE
        if precision == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            root = logging.getLogger()
            level = root.level
            root.setLevel(logging.ERROR)  # the quantizer logs advice on pre-processing at WARNING
            try:
                # Per-channel weights, MatMuls only: per-tensor int8 moved vectors to cosine 0.95 of fp32, this 0.99.
                quantize_dynamic(
                    fp32, final, per_channel=True, op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8
                )
            finally:
                root.setLevel(level)
            fp32.unlink()
        else:
            fp32.rename(final)
        manifest = {"fingerprint": fingerprint(model_path, precision, spec), "bytes": final.stat().st_size}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.chmod(0o755)  # mkdtemp makes it private
        tmp.rename(folder)
    except Exception as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OnnxExportError(
            f"could not export the {spec.what} {model_path} to ONNX ({type(err).__name__}: {err}); "
            f"run `make setup` (it installs onnx and onnxscript), {spec.fallback}."
        ) from err


def _export_fp32(model_path: Path, target: Path, spec: ExportSpec) -> None:
    """torch's exporter over the model loaded in float32 (the reader's weights ship as fp16)."""
    import onnx
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # "torchvision is not installed" notes: not needed
    auto_class = getattr(transformers, spec.auto_class)
    model = auto_class.from_pretrained(str(model_path), local_files_only=True, dtype=torch.float32).eval()
    sample = {name: torch.ones(2, 16, dtype=torch.long) for name in spec.inputs}
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=512)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter prints a line per step and notes on its own internals
        program = torch.onnx.export(
            model,
            (),
            kwargs=sample,
            input_names=list(spec.inputs),
            output_names=list(spec.outputs),
            dynamic_shapes={name: {0: batch, 1: seq} for name in spec.inputs},
            dynamo=True,
            verbose=False,
        )
    assert program is not None
    program.save(str(target))
    # One self-contained file (the exporter writes weights beside it), so the manifest's size covers them.
    onnx.save(onnx.load(str(target)), str(target))
    for extra in target.parent.glob(f"{target.name}.data"):
        extra.unlink()


def open_session(onnx_file: Path, threads: int, spec: ExportSpec = ENCODER_EXPORT) -> Any:
    """An ONNX Runtime session on the CPU. A file that fails to load (damaged though of the right size) is removed,
    so the next start exports it again."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle ORT threads spin for a while by default, taking the cores the reader and the server need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Memory patterns are planned and kept per input shape, and every text or window has its own length: on the
    # 2·10^4-paragraph index they grew a server by ~20 MB over 100 questions, at no measurable speed (reader p50
    # 49.0 against 48.6 ms without them, bundled questions).
    options.enable_mem_pattern = False
    try:
        return onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
    except Exception as err:
        shutil.rmtree(onnx_file.parent, ignore_errors=True)
        raise OnnxExportError(f"the ONNX {spec.what} {onnx_file} is damaged and was removed; run again.") from err


def balanced_lanes(lengths: list[int], lanes: int) -> list[list[int]]:
    """Rows dealt to at most `lanes` lanes (`open_session`'s one-thread sessions run on their callers' threads) so
    that each lane computes about as many tokens: longest first, each to the least loaded lane. An input costs about
    its length and the slowest lane is the wait; dealt round-robin, the reader's five bundled passages put 218 of 362
    tokens on one lane, balanced 200."""
    loads = [(0, lane) for lane in range(max(1, min(lanes, len(lengths))))]
    rows: list[list[int]] = [[] for _ in loads]
    for row in sorted(range(len(lengths)), key=lambda r: -lengths[r]):
        load, lane = min(loads)
        loads[lane] = (load + lengths[row], lane)
        rows[lane].append(row)
    return [r for r in rows if r]
