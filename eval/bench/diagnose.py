"""Where the time goes: one question split into stages (ours and the peer's), and the import cost of each
heavy module on the `cited ask` path (`python -X importtime`).

These numbers are not targets; they are the evidence behind the diagnosis in the report.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.bench.probes import Probe, Timings, probing
from eval.bench.stats import median

HEAVY_MODULES = (
    "torch",
    "transformers",
    "sentence_transformers",
    "sklearn",
    "scipy",
    "chromadb",
    "onnxruntime",
    "bm25s",
    "Stemmer",
    "llama_index.core",
    "pydantic",
    "pydantic_settings",
    "numpy",
    "gradio",
    "fastapi",
    "httpx",
    "rich",
    "tqdm",
    "trafilatura",
    "index.settings",
    "qa.assistant",
    "qa.retriever",
    "ui.cli",
)
_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


def _per_question(fn: Callable[[str], Any], questions: list[str], timings: Timings) -> dict[str, float]:
    """Median ms per stage over the questions; 'total' is the whole call, 'other' what no probe covers."""
    import time

    rows: list[dict[str, float]] = []
    for question in questions:
        timings.reset()
        t0 = time.perf_counter()
        fn(question)
        total = time.perf_counter() - t0
        row = {k: v * 1000 for k, v in timings.snapshot().items()}
        row["total"] = total * 1000
        rows.append(row)
    keys = sorted({k for row in rows for k in row})
    return {k: median([row.get(k, 0.0) for row in rows]) for k in keys}


def _staged(run: Any, questions: list[str], probes: list[Any]) -> dict[str, float]:
    """Warm up on five questions, then the median ms of each probed stage over all of them."""
    for question in questions[:5]:
        run(question)
    with probing(probes) as timings:
        return _per_question(run, questions, timings)


def ask_stages(assistant: Any, questions: list[str]) -> dict[str, float]:
    """Median ms of embed / Chroma / BM25 / fusion / reader / extractive answer within `Assistant.ask`."""
    from index.onnx_encoder import OnnxEmbedder
    from qa.extractive import ExtractiveAnswerer
    from qa.index_handle import IndexHandle
    from qa.reader.model import Reader
    from qa.retriever import Retriever

    probes = [
        Probe(OnnxEmbedder, "encode_one", "embed query"),
        Probe(Retriever, "_dense", "chroma query"),
        Probe(Retriever, "_keyword", "bm25"),
        Probe(Retriever, "_fuse", "fuse"),
        Probe(IndexHandle, "get", "index handle"),
        Probe(Reader, "read", "reader"),
        Probe(ExtractiveAnswerer, "answer", "extractive answer (reader included)"),
    ]
    stages = _staged(assistant.ask, questions, probes)
    named = sum(v for k, v in stages.items() if k not in ("total", "reader"))  # the reader runs inside the answer
    stages["other"] = max(stages["total"] - named, 0.0)
    return stages


def peer_stages(peer: Any, questions: list[str]) -> dict[str, float]:
    """Median ms of the peer's stages: query embedding, Chroma query, node rebuilding, BM25, fusion."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.retrievers import QueryFusionRetriever, VectorIndexRetriever
    from llama_index.retrievers.bm25 import BM25Retriever
    from llama_index.vector_stores.chroma import ChromaVectorStore

    probes = [
        Probe(BaseEmbedding, "get_query_embedding", "embed query"),
        Probe(ChromaVectorStore, "query", "chroma query + nodes"),
        Probe(VectorIndexRetriever, "_retrieve", "vector retriever (all)"),
        Probe(BM25Retriever, "_retrieve", "bm25"),
        Probe(QueryFusionRetriever, "_reciprocal_rerank_fusion", "fuse"),
    ]
    stages = _staged(peer.retrieve, questions, probes)
    vector_all = stages.pop("vector retriever (all)", 0.0)
    stages["vector retriever overhead"] = max(
        vector_all - stages.get("embed query", 0.0) - stages.get("chroma query + nodes", 0.0), 0.0
    )
    named = sum(v for k, v in stages.items() if k != "total")
    stages["other"] = max(stages["total"] - named, 0.0)
    return stages


def parse_importtime(stderr: str) -> dict[str, Any]:
    """Cumulative import ms of the heavy modules (where first imported) and of the top-level imports, and the
    import time of each package on its own."""
    first: dict[str, float] = {}
    top: list[tuple[str, float]] = []
    by_package: dict[str, float] = {}
    for line in stderr.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        cumulative_ms = int(m.group(2)) / 1000
        name = m.group(4)
        root = name.split(".")[0]
        by_package[root] = by_package.get(root, 0.0) + int(m.group(1)) / 1000
        if name not in first:
            first[name] = cumulative_ms
        if m.group(3) == " ":  # no nesting: imported by the program itself
            top.append((name, cumulative_ms))
    heavy = {name: first[name] for name in HEAVY_MODULES if name in first}
    top.sort(key=lambda item: -item[1])
    return {
        "heavy_ms": dict(sorted(heavy.items(), key=lambda kv: -kv[1])),
        "top_level_ms": dict(top[:12]),
        "total_top_level_ms": sum(ms for _, ms in top),
        # Each module's own time added up per top-level package: no double counting of nested imports.
        "self_ms_by_package": dict(sorted(by_package.items(), key=lambda kv: -kv[1])[:15]),
    }


def import_times(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 300.0) -> dict[str, Any]:
    """Run `python -X importtime <argv>` and parse what it reports."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    parsed = parse_importtime(proc.stderr)
    parsed["command"] = " ".join(["python", "-X", "importtime", *argv])
    parsed["returncode"] = proc.returncode
    return parsed


def _median_ms(fn: Callable[[], Any], n: int) -> float:
    import time

    for _ in range(3):
        fn()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return median(samples)


def _cycle(fn: Callable[[Any], Any], items: list[Any]) -> Callable[[], Any]:
    """A no-argument call of `fn` on the next item, round and round."""
    it = itertools.cycle(items)
    return lambda: fn(next(it))


def embed_threads(model: Any, questions: list[str], default_threads: int) -> dict[str, float]:
    """Median ms of a SentenceTransformer's encode of one question with torch's intra-op threads at the
    default count and at 1 (restored afterwards). One short query is a few small matrix products: on a busy
    2-core machine the threads of a parallel region wait for each other and lose far more than they gain."""
    import torch

    found = torch.get_num_threads()
    out: dict[str, float] = {}

    def encode(question: str) -> Any:
        return model.encode([question], normalize_embeddings=True, show_progress_bar=False)

    try:
        for count in sorted({default_threads, 1}, reverse=True):
            torch.set_num_threads(count)
            out[f"{count} thread(s)"] = _median_ms(_cycle(encode, questions), len(questions))
    finally:
        torch.set_num_threads(found)
    return out


def chroma_variants(collection: Any, vectors: list[list[float]], depth: int) -> dict[str, float]:
    """Median ms of the dense query as cited makes it (2×depth results with metadatas, plus count()) beside
    leaner forms: the chunk ids ("{paragraph_id}:{piece}") already name the paragraph."""

    def query(n: int, include: list[str]) -> Callable[[], Any]:
        return _cycle(lambda v: collection.query(query_embeddings=[v], n_results=n, include=include), vectors)

    n = len(vectors)
    return {
        "count()": _median_ms(collection.count, n),
        f"n={2 * depth}, metadatas+distances (as now)": _median_ms(query(2 * depth, ["metadatas", "distances"]), n),
        f"n={2 * depth}, distances only": _median_ms(query(2 * depth, ["distances"]), n),
        f"n={depth}, distances only": _median_ms(query(depth, ["distances"]), n),
    }


def cold_profile(env: dict[str, str], cwd: Path, question: str, timeout: float = 300.0) -> dict[str, Any]:
    """Seconds per first-use cost of a cold ask (`python -m eval.bench.cold_profile`, a fresh process)."""
    import json

    proc = subprocess.run(
        [sys.executable, "-m", "eval.bench.cold_profile", question],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    last = [line for line in proc.stdout.splitlines() if line.startswith("{")][-1]
    seconds: dict[str, float] = json.loads(last)["seconds"]
    return seconds
