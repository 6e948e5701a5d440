"""Where a cold `cited ask` spends its time, measured inside a fresh process: run as
`python -m eval.bench.cold_profile QUESTION` (with CITED_INDEX_DIR set); prints one JSON object of seconds.

It does what `cited ask` does (Settings, `Assistant.from_defaults`, one `ask`), with probes on the first-use
costs: importing the modules, opening Chroma, loading the snapshot, loading the model, the first encode.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eval.bench.probes import Probe

DEFAULT_QUESTION = "Who retook eastern Mosul?"

# The heavy imports on the `cited ask` path, timed one by one in this order: (module, label in the output).
TIMED_IMPORTS = [
    ("index.settings", "import index.settings (pydantic)"),
    ("qa.assistant", "import qa.assistant"),
    ("chromadb", "import chromadb"),
    ("onnxruntime", "import onnxruntime (both models run on it)"),
    ("tokenizers", "import tokenizers"),
    ("bm25s", "import bm25s"),
]


def main(argv: list[str] | None = None) -> int:
    t_start = time.perf_counter()
    argv = list(sys.argv[1:] if argv is None else argv)
    question = argv[0] if argv else DEFAULT_QUESTION
    seconds = _time_imports()
    answer_text, ask_seconds = _probed_ask(question)
    seconds.update(ask_seconds)
    seconds["process start to answer"] = time.perf_counter() - t_start
    print(json.dumps({"answer": answer_text[:80], "seconds": seconds}))
    return 0


def _time_imports() -> dict[str, float]:
    """Seconds to import each of TIMED_IMPORTS, each after the ones before it."""
    seconds: dict[str, float] = {}
    for module, label in TIMED_IMPORTS:
        t0 = time.perf_counter()
        importlib.import_module(module)
        seconds[label] = time.perf_counter() - t0
    return seconds


def _first_use_probes() -> list[Probe]:
    """A probe on each first-use cost inside building the assistant and its first answer."""
    import index.onnx_encoder as onnx_module
    import index.opening as opening_module
    import index.store as store_module
    from eval.bench.probes import Probe
    from index.onnx_encoder import OnnxEmbedder
    from index.snapshot import Snapshot
    from qa.extractive import ExtractiveAnswerer
    from qa.reader.model import Reader
    from qa.retriever import Retriever

    return [
        Probe(store_module, "_open_client", "open Chroma client"),
        Probe(store_module.ChromaStore, "current", "find the live collection"),
        Probe(Snapshot, "load", "load snapshot (paragraphs, vectors, bm25)"),
        Probe(opening_module, "open_index", "open index (all)"),
        Probe(onnx_module, "OnnxEmbedder", "load embedding model"),
        Probe(OnnxEmbedder, "encode_one", "embed query"),
        Probe(Retriever, "_dense", "chroma query"),
        Probe(Retriever, "_keyword", "bm25 query"),
        Probe(Reader, "warm_up", "load the reader"),
        Probe(ExtractiveAnswerer, "answer", "extractive answer (reader load included)"),
    ]


def _probed_ask(question: str) -> tuple[str, dict[str, float]]:
    """Build the assistant as `cited ask` does and ask once: the answer's text and the seconds it took, split."""
    from eval.bench.probes import probing
    from index.settings import Settings
    from qa.assistant import Assistant

    seconds: dict[str, float] = {}
    with probing(_first_use_probes()) as timings:
        t0 = time.perf_counter()
        assistant = Assistant.from_defaults(Settings())
        seconds["Assistant.from_defaults"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        answer = assistant.ask(question)
        seconds["first ask (all)"] = time.perf_counter() - t0
    seconds.update(timings.snapshot())
    return answer.text, seconds


if __name__ == "__main__":
    sys.exit(main())
