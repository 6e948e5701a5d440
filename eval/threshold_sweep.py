"""Fit the answerer's refusal threshold (`Settings.reader_threshold`) on a named calibration question set.

    python -m eval.threshold_sweep eval/datasets/articles.jsonl

Every question is answered once with refusals off; each answer keeps its best span's margin over "no answer"
(`Citation.support` is that margin on a logistic scale). A threshold t then refuses exactly the questions whose
margin is at most t, so the whole sweep comes from one pass. The fitted value is the one that handles the most
questions right (an answerable one answered with a gold answer in the text, an unanswerable one refused); ties go
to the lower threshold, which refuses less. Report figures on other sets than the one fitted on.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from eval.datasets import load_dataset
from eval.metrics import score_question
from eval.runner import RETRIEVAL_DEPTH
from index.settings import get_settings

STEP = 0.25


def margins(path: Path) -> list[tuple[bool, bool, float]]:
    """(answerable, contains gold, margin) of every question, answered with refusals off."""
    from qa.assistant import Assistant
    from qa.retriever import Retriever

    settings = get_settings().model_copy(update={"reader_threshold": -math.inf})
    retriever = Retriever.from_defaults(settings)
    assistant = Assistant.from_defaults(settings, retriever=retriever)
    found = []
    for record in load_dataset(path):
        answer = assistant.ask(record.question, history=list(record.history))
        score = score_question(record, answer, retriever.retrieve(answer.search_text, k=RETRIEVAL_DEPTH))
        found.append(
            (
                record.answerable,
                bool(score.contains),
                _margin(answer.citations[0].support) if answer.citations else -math.inf,
            )
        )
    return found


def _margin(support: float) -> float:
    p = min(max(support, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def sweep(found: list[tuple[bool, bool, float]]) -> list[dict[str, float]]:
    """Per threshold: share of questions handled right, contains, false refusals, unanswerable refused."""
    finite = [m for _, _, m in found if math.isfinite(m)]
    lo, hi = math.floor(min(finite, default=0.0)), math.ceil(max(finite, default=0.0))
    answerable = [f for f in found if f[0]] or [(True, False, 0.0)]
    unanswerable = [f for f in found if not f[0]]
    rows = []
    for i in range(int((hi - lo) / STEP) + 1):
        t = lo + i * STEP
        right = sum(c and m > t for a, c, m in answerable) + sum(m <= t for _, _, m in unanswerable)
        rows.append(
            {
                "threshold": t,
                "right": right / len(found),
                "contains": sum(c and m > t for _, c, m in answerable) / len(answerable),
                "false_refusals": sum(m <= t for _, _, m in answerable) / len(answerable),
                "unanswerable_refused": sum(m <= t for _, _, m in unanswerable) / max(1, len(unanswerable)),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.threshold_sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="the calibration question set (JSON Lines)")
    parser.add_argument("--out", type=Path, help="write the sweep as JSON here")
    args = parser.parse_args(argv)
    rows = sweep(margins(args.dataset))
    best = max(rows, key=lambda r: (r["right"], -r["threshold"]))
    result: dict[str, Any] = {"dataset": str(args.dataset), "fitted": best, "sweep": rows}
    if args.out:
        args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    for r in rows:
        mark = "  <- fitted" if r is best else ""
        print(
            f"t={r['threshold']:6.2f}  right {r['right']:.3f}  contains {r['contains']:.3f}  "
            f"false refusals {r['false_refusals']:.3f}  unanswerable refused {r['unanswerable_refused']:.2f}{mark}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
