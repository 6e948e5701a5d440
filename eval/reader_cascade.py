"""`python -m eval.reader_cascade [../shared/benchmarks/squad-v1.1-train.json] [--out reports/reader-cascade]`: fit
the `onnx-cascade` reader's gap (qa/reader/cascade.py) on SQuAD v1.1 train questions.

Train is the calibration split: the reader trained on it, but the gap decides only when int8's answer is trusted,
and every figure reported for the cascade (agreement with fp32 and the peer, speed, answer quality) is measured on
other questions. A seeded sample of articles, a few questions each, each question read against its own paragraph
and up to four other paragraphs of its article (the distractors a retriever would bring). For each gap: how often
the cascade gives fp32's answer (the same words, and the same answer-or-refuse decision at the refusal threshold),
the share of questions read again in fp32, and the time per question. The chosen gap is the smallest whose
agreement is at least TARGET. Writes cascade.json and cascade.png.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from index.models import Paragraph, ReadSpan
from index.settings import Settings
from qa.answer_text import normalize_answer

GAPS = (0.0, 0.25, 0.5, 0.6, 0.75, 1.0, 1.5)
TARGET = 0.99  # agreement with fp32 the chosen gap must reach
ARTICLES, QUESTIONS_PER_ARTICLE, DISTRACTORS, SEED = 60, 5, 4, 7


def sample_questions(squad_file: Path) -> list[tuple[str, list[Paragraph]]]:
    """(question, passages) pairs: its own paragraph among up to DISTRACTORS others of the same article, shuffled."""
    rng = random.Random(SEED)
    articles = json.loads(squad_file.read_text(encoding="utf-8"))["data"]
    items = []
    for a, article in enumerate(rng.sample(articles, min(ARTICLES, len(articles)))):
        texts = [p["context"] for p in article["paragraphs"]]
        for own in rng.sample(range(len(texts)), min(QUESTIONS_PER_ARTICLE, len(texts))):
            question = rng.choice(article["paragraphs"][own]["qas"])["question"]
            chosen = [own, *rng.sample([i for i in range(len(texts)) if i != own], min(DISTRACTORS, len(texts) - 1))]
            rng.shuffle(chosen)
            # each paragraph an article of its own: what is fitted is the answer rule, not the one-span-per-article
            # rule (which only adds fp32 reads)
            passages = [_paragraph(f"a{a}-{i}", i, texts[i]) for i in chosen]
            items.append((question, passages))
    return items


def _paragraph(doc_id: str, n: int, text: str) -> Paragraph:
    return Paragraph(id=f"{doc_id}#{n}", doc_id=doc_id, n=n, text=text, start=0, end=len(text))


def decision(spans: list[ReadSpan], threshold: float) -> tuple[str, bool]:
    """What the answerer would take from a read: the best span's words, and whether it beats "no answer"."""
    if not spans:
        return "", False
    return normalize_answer(spans[0].text), spans[0].margin > threshold


def sweep(items: list[tuple[str, list[Paragraph]]], settings: Settings, gaps: tuple[float, ...]) -> dict[str, Any]:
    """fp32's decisions, then the cascade's at each gap: agreement, share read again, milliseconds per question."""
    from qa.reader.model import Reader

    exact = Reader.from_defaults(settings, "onnx")
    reference = [decision(exact.read(q, passages), settings.reader_threshold) for q, passages in items]
    rows = []
    for gap in gaps:
        cascade = Reader.from_defaults(settings.model_copy(update={"reader_cascade_gap": gap}), "onnx-cascade")
        cascade.warm_up()
        seconds, agree, reread = [], 0, 0
        for (question, passages), expected in zip(items, reference, strict=True):
            before, started = cascade.reread_passages, time.perf_counter()
            spans = cascade.read(question, passages)
            seconds.append(time.perf_counter() - started)
            agree += decision(spans, settings.reader_threshold) == expected
            reread += cascade.reread_passages > before
        n = max(1, len(items))
        rows.append({"gap": gap, "agreement": agree / n, "reread": reread / n, "p50_ms": 1000 * np.median(seconds)})
    chosen = next((row["gap"] for row in rows if row["agreement"] >= TARGET), gaps[-1])
    return {"questions": len(items), "target": TARGET, "chosen_gap": chosen, "rows": rows}


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gaps = [row["gap"] for row in result["rows"]]
    fig, left = plt.subplots(figsize=(6, 3.5))
    left.plot(gaps, [row["agreement"] for row in result["rows"]], "o-", label="same decision as fp32")
    left.plot(gaps, [row["reread"] for row in result["rows"]], "s--", label="questions read again in fp32")
    left.axhline(result["target"], color="grey", lw=0.8)
    left.axvline(result["chosen_gap"], color="grey", lw=0.8, ls=":")
    left.set_xlabel("gap (logits)")
    left.set_ylim(0, 1.02)
    left.legend(loc="lower right", fontsize=8)
    right = left.twinx()
    right.plot(gaps, [row["p50_ms"] for row in result["rows"]], "^:", color="tab:red")
    right.set_ylabel("read p50 (ms)", color="tab:red")
    left.set_title(f"onnx-cascade on {result['questions']} SQuAD v1.1 train questions")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("squad_file", nargs="?", type=Path, default=Path("../shared/benchmarks/squad-v1.1-train.json"))
    parser.add_argument("--out", type=Path, default=Path("reports/reader-cascade"))
    args = parser.parse_args(argv)
    if not args.squad_file.is_file():
        parser.error(f"{args.squad_file} not found: pass the SQuAD v1.1 train file (../shared/benchmarks/)")
    result = sweep(sample_questions(args.squad_file), Settings(), GAPS)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cascade.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    plot(result, args.out / "cascade.png")
    print("| gap | same decision as fp32 | read again in fp32 | read p50 |\n| ---: | ---: | ---: | ---: |")
    for row in result["rows"]:
        print(f"| {row['gap']:g} | {row['agreement']:.3f} | {row['reread']:.2f} | {row['p50_ms']:.1f} ms |")
    print(f"chosen gap (smallest with agreement >= {TARGET}): {result['chosen_gap']:g}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
