"""Warm query latency: `Retriever.retrieve` and `Assistant.ask` (extractive) beside the peer's hybrid
retrieval, over the gold questions, in several passes.

The three are interleaved question by question (in a rotating order), so a burst of load from another process
hits all of them alike. A warm-up pass over a few questions runs first and is not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from eval.bench.stats import ratio, summarize

WARMUP_QUESTIONS = 10


def _timed_ms(fn: Callable[[str], Any], question: str) -> float:
    t0 = time.perf_counter()
    fn(question)
    return (time.perf_counter() - t0) * 1000


def run_latency(
    systems: dict[str, Callable[[str], Any]], questions: list[str], passes: int, progress: bool = True
) -> dict[str, list[float]]:
    """Milliseconds per call of each system over every question, `passes` times, interleaved."""
    from tqdm import tqdm

    names = list(systems)
    for question in questions[:WARMUP_QUESTIONS]:
        for name in names:
            systems[name](question)
    samples: dict[str, list[float]] = {name: [] for name in names}
    total = passes * len(questions)
    with tqdm(total=total, desc="queries", unit="q", disable=not progress, leave=False) as bar:
        for p in range(passes):
            for i, question in enumerate(questions):
                shift = (i + p) % len(names)
                for name in names[shift:] + names[:shift]:
                    samples[name].append(_timed_ms(systems[name], question))
                bar.update(1)
    return samples


def bench_queries(
    settings: Any,
    questions: list[str],
    model: Any,
    passes: int,
    progress: bool = True,
    peer_threads: int | None = None,
) -> dict[str, Any]:
    """Latency summaries (ms) of ours and the peer; `model` is the SentenceTransformer the peer wraps, and
    `peer_threads` torch's thread count as a vanilla process would have it (see peer.make_embedding).

    A second peer that embeds on one thread ("peer_retrieve_1_thread", informative, no target) shows how much
    of the difference is cited's thread setting for short inputs rather than the pipeline."""
    from eval.bench.peer import build_peer
    from index.store import ChromaStore
    from qa.assistant import Assistant
    from qa.retriever import Retriever

    retriever = Retriever.from_defaults(settings)
    assistant = Assistant.from_defaults(settings, retriever=retriever)
    collection = ChromaStore(settings).current()
    peer = build_peer(collection, model, settings.top_k, peer_threads)
    tuned = build_peer(collection, model, settings.top_k, 1)
    systems: dict[str, Callable[[str], Any]] = {
        "retrieve": retriever.retrieve,
        "ask": assistant.ask,
        "peer_retrieve": peer.retrieve,
    }
    if peer_threads != 1:
        systems["peer_retrieve_1_thread"] = tuned.retrieve
    samples = run_latency(systems, questions, passes, progress)
    summary = {name: summarize(values) for name, values in samples.items()}
    peer_p50 = summary["peer_retrieve"]["p50"]
    return {
        "questions": len(questions),
        "passes": passes,
        "k": settings.top_k,
        "peer_nodes": peer.nodes,
        "peer_threads": peer_threads,
        **summary,
        "ratio_retrieve_vs_peer": ratio(summary["retrieve"]["p50"], peer_p50),
        "ratio_ask_vs_peer": ratio(summary["ask"]["p50"], peer_p50),
    }
