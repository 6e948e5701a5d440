"""Where a cold `cited ask` spends its time, measured inside a fresh process: run as
`python -m eval.bench.cold_profile QUESTION` (with CITED_INDEX_DIR set); prints one JSON object of seconds.

It does what `cited ask` does (Settings, `Assistant.from_defaults`, one `ask`), with probes on the first-use
costs: importing the modules, opening Chroma, loading the snapshot, loading the model, the first encode.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    t_start = time.perf_counter()
    argv = list(sys.argv[1:] if argv is None else argv)
    question = argv[0] if argv else "Who retook eastern Mosul?"
    out: dict[str, float] = {}

    t0 = time.perf_counter()
    from index.settings import Settings

    out["import index.settings (pydantic)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    import qa.assistant  # noqa: F401

    out["import qa.assistant"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    import chromadb  # noqa: F401

    out["import chromadb"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    import sentence_transformers  # noqa: F401

    out["import sentence_transformers (torch, transformers)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    import bm25s  # noqa: F401

    out["import bm25s"] = time.perf_counter() - t0

    import index.embedder as embedder_module
    import index.opening as opening_module
    import index.store as store_module
    from eval.bench.probes import Probe, probing
    from index.embedder import Embedder
    from index.snapshot import Snapshot
    from qa.assistant import Assistant
    from qa.extractive import ExtractiveAnswerer
    from qa.reader.model import Reader
    from qa.retriever import Retriever

    probes = [
        Probe(store_module, "_open_client", "open Chroma client"),
        Probe(store_module.ChromaStore, "current", "find the live collection"),
        Probe(Snapshot, "load", "load snapshot (paragraphs, vectors, bm25)"),
        Probe(opening_module, "open_index", "open index (all)"),
        Probe(embedder_module, "Embedder", "load embedding model"),
        Probe(Embedder, "encode_one", "embed query"),
        Probe(Retriever, "_dense", "chroma query"),
        Probe(Retriever, "_keyword", "bm25 query"),
        Probe(Reader, "warm_up", "load the reader"),
        Probe(ExtractiveAnswerer, "answer", "extractive answer (reader load included)"),
    ]
    with probing(probes) as timings:
        t0 = time.perf_counter()
        assistant = Assistant.from_defaults(Settings())
        out["Assistant.from_defaults"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        answer = assistant.ask(question)
        out["first ask (all)"] = time.perf_counter() - t0
    out.update(timings.snapshot())
    out["process start to answer"] = time.perf_counter() - t_start
    print(json.dumps({"answer": answer.text[:80], "seconds": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
