"""The reader beside its peer: the same shipped weights through Haystack's extractive reader, on the same passages.

For each gold question the retriever's top passages of the bundled articles are fetched once; then our
`qa.reader.model.Reader.read` and Haystack's `TransformersExtractiveReader.run` (the `transformers-haystack`
package: Haystack 2's `ExtractiveReader`, moved there in Haystack 3) read them, interleaved question by question
like the query benchmark. Both get float32 weights and the same window (384 tokens, stride 128), so the
difference is the code around the model (Haystack has no longest-answer limit; ours stops at 30 tokens).
Agreement is the share of questions where both pick the same best answer words.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from eval.bench.query_bench import run_latency
from eval.bench.stats import ratio, summarize
from eval.normalize import normalize_answer
from index.limits import ReaderRuntime
from index.models import Paragraph

# Beside the configured runtime the bench reads with another one: fp32 computes the peer's arithmetic (agreement
# checks our code), the cascade is the fast default (int8, fp32 where contested).
OTHER_RUNTIME: dict[ReaderRuntime, ReaderRuntime] = {
    "onnx": "onnx-cascade",
    "onnx-cascade": "onnx",
    "onnx-int8": "onnx",
    "torch": "onnx",
}


def make_peer(reader: Any) -> Callable[[str, list[Paragraph]], str]:
    """Haystack's reader on our weights; returns a function giving its best answer's words for (question, passages)."""
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    import torch
    from haystack import Document
    from haystack_integrations.components.readers.transformers import TransformersExtractiveReader

    peer = TransformersExtractiveReader(
        model=str(reader.model_dir),
        top_k=1,
        max_seq_length=reader.max_length,
        stride=reader.stride,
        no_answer=False,
        model_kwargs={"dtype": torch.float32},
    )
    peer.warm_up()

    def answer(question: str, paragraphs: list[Paragraph]) -> str:
        documents = [Document(content=p.text, id=p.id) for p in paragraphs]
        answers = peer.run(query=question, documents=documents)["answers"]
        return answers[0].data if answers and answers[0].data else ""

    return answer


def bench_reader(settings: Any, questions: list[str], passes: int, progress: bool = True) -> dict[str, Any]:
    """Milliseconds per question for ours (in the settings' runtime, and in the other ONNX precision) and the peer
    over the top-k passages, and how often each of ours agrees with the peer."""
    from qa.reader.model import Reader
    from qa.retriever import Retriever

    retriever = Retriever.from_defaults(settings)
    passages = {q: [hit.paragraph for hit in retriever.retrieve(q)] for q in questions}
    runtimes = {"reader": settings.reader_runtime, "reader_other": OTHER_RUNTIME[settings.reader_runtime]}
    ours = {key: Reader.from_defaults(settings, runtime) for key, runtime in runtimes.items()}
    for reader in ours.values():
        reader.warm_up()
    peer = make_peer(ours["reader"])

    def answer_with(reader: Any) -> Callable[[str], str]:
        def answer(question: str) -> str:
            spans = reader.read(question, passages[question])
            return str(spans[0].text) if spans else ""

        return answer

    systems: dict[str, Callable[[str], Any]] = {key: answer_with(reader) for key, reader in ours.items()}
    systems["peer_reader"] = lambda q: peer(q, passages[q])
    peer_answers = {q: normalize_answer(systems["peer_reader"](q)) for q in questions}
    agreement = {
        key: sum(normalize_answer(systems[key](q)) == peer_answers[q] for q in questions) / max(1, len(questions))
        for key in ours
    }
    samples = run_latency(systems, questions, passes, progress)
    summary = {name: summarize(values) for name, values in samples.items()}
    return {
        "questions": len(questions),
        "passes": passes,
        "passages_per_question": sum(len(p) for p in passages.values()) / max(1, len(passages)),
        "runtime": ours["reader"].name,
        "runtime_other": ours["reader_other"].name,
        **summary,
        "ratio_reader_vs_peer": ratio(summary["reader"]["p50"], summary["peer_reader"]["p50"]),
        "agreement": agreement["reader"],
        "agreement_other": agreement["reader_other"],
    }
