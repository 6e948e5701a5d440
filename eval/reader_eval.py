"""`cited eval --squad FILE --given-paragraph`: the reader alone, each question read against its own paragraph.

SQuAD v1.1: the official EM/F1 of the best span (every question has an answer). SQuAD v2.0: a question is answered
when its span beats the no-answer option by more than a threshold; the threshold is fitted on the calibration
articles (the first `calibration_fraction` of the file's articles) and the figures are reported on the rest only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import exact_match, f1_score
from index.models import Paragraph
from qa.reader.training_data import calibration_articles

REFERENCE_POINTS = {
    "v1.1": [("logistic regression", 40.0, 51.0), ("DrQA reader", 69.4, 78.9), ("DistilBERT-base", 79.6, 86.8)],
    "v2.0": [("12-layer MiniLM", 76.1, 79.5), ("BERT-base", 75.7, 78.6)],
}


@dataclass
class GivenQuestion:
    id: str
    question: str
    context: str
    answers: list[str]
    impossible: bool
    article: int


def given_questions(data: dict[str, Any]) -> list[GivenQuestion]:
    found = []
    for a, article in enumerate(data["data"]):
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = [str(x["text"]) for x in qa.get("answers", []) if str(x.get("text", "")).strip()]
                impossible = bool(qa.get("is_impossible")) or not answers
                found.append(GivenQuestion(str(qa["id"]), qa["question"], paragraph["context"], answers, impossible, a))
    return found


def read_all(reader: Any, questions: list[GivenQuestion], progress: bool, batch: int = 32) -> list[tuple[str, float]]:
    """(best span text, its margin over no-answer) for every question."""
    from tqdm import tqdm

    results: list[tuple[str, float]] = []
    for i in tqdm(range(0, len(questions), batch), desc="reading", unit="batch", disable=not progress):
        chunk = questions[i : i + batch]
        paragraphs = [Paragraph(id=q.id, doc_id=q.id, n=1, text=q.context, start=0, end=len(q.context)) for q in chunk]
        for span in reader.read_pairs([q.question for q in chunk], paragraphs):
            results.append(("", float("-inf")) if span is None else (span.text, span.margin))
    return results


def _scores(preds: list[tuple[str, float]], questions: list[GivenQuestion], threshold: float | None) -> dict[str, Any]:
    """EM/F1 ×100; with a threshold, refusals count as the empty answer (SQuAD 2.0's rule)."""
    em, f1, has, no = [], [], [], []
    for (text, margin), q in zip(preds, questions, strict=True):
        refused = threshold is not None and margin <= threshold
        if q.impossible:
            em.append(float(refused))
            f1.append(float(refused))
            no.append(float(refused))
        else:
            e, f = (0.0, 0.0) if refused else (exact_match(text, q.answers), f1_score(text, q.answers))
            em.append(e)
            f1.append(f)
            has.append(f)
    pct = lambda xs: round(100 * sum(xs) / len(xs), 2) if xs else None  # noqa: E731
    return {"questions": len(questions), "exact": pct(em), "f1": pct(f1), "HasAns_f1": pct(has),
            "NoAns_accuracy": pct(no), "HasAns": len(has), "NoAns": len(no)}  # fmt: skip


def fit_threshold(preds: list[tuple[str, float]], questions: list[GivenQuestion]) -> tuple[float, list[list[float]]]:
    """The margin threshold with the best overall F1 on these questions, and the sweep (threshold, F1, NoAns)."""
    margins = sorted(m for _, m in preds if m != float("-inf"))
    candidates = sorted({margins[int(i * (len(margins) - 1) / 200)] for i in range(201)}) if margins else [0.0]
    sweep = []
    for t in candidates:
        s = _scores(preds, questions, t)
        sweep.append([t, s["f1"], s["NoAns_accuracy"] or 0.0])
    best = max(sweep, key=lambda row: row[1])
    return float(best[0]), sweep


def threshold_split(model_dir: Path, path: Path, n_articles: int, fraction: float) -> tuple[int, int]:
    """The articles [first, cut) the threshold is fitted on; the figures are reported on cut.. only. A reader that
    trained on this file's calibration split (its training.json says so) must not have its threshold fitted on the
    questions it learnt: then the threshold takes the first half of the remaining articles."""
    trained = 0
    summary = Path(model_dir) / "training.json"
    if summary.is_file():
        used = json.loads(summary.read_text(encoding="utf-8")).get("config", {}).get("calibration_file")
        if used and Path(used).name == path.name:
            trained = calibration_articles(n_articles)
    if not trained:
        return 0, calibration_articles(n_articles, fraction)
    return trained, trained + (n_articles - trained) // 2


def evaluate_given(path: Path, reader: Any, calibration_fraction: float, limit: int | None, progress: bool) -> dict:
    from eval.squad import load_squad

    data = load_squad(path)
    questions = given_questions(data)
    if limit:
        questions = questions[:: max(1, len(questions) // limit)][:limit]
    preds = read_all(reader, questions, progress)
    version = "v2.0" if any(q.impossible for q in questions) else "v1.1"
    report: dict[str, Any] = {"file": str(path), "version": version, "model": str(reader.model_dir)}
    if version == "v1.1":
        report["scores"] = _scores(preds, questions, None)
    else:
        n_articles = len(data["data"])
        first, cut = threshold_split(reader.model_dir, path, n_articles, calibration_fraction)
        calib = [i for i, q in enumerate(questions) if first <= q.article < cut]
        test = [i for i, q in enumerate(questions) if q.article >= cut]
        threshold, sweep = fit_threshold([preds[i] for i in calib], [questions[i] for i in calib])
        report["calibration"] = {"articles": f"{first}..{cut - 1} of {n_articles}", "questions": len(calib),
                                 "threshold": round(threshold, 4), "sweep": sweep}  # fmt: skip
        if first:
            report["calibration"]["trained_on"] = f"articles 0..{first - 1} (the reader's training split)"
        report["scores"] = _scores([preds[i] for i in test], [questions[i] for i in test], threshold)
        report["scores"]["articles"] = f"{cut}..{n_articles - 1} of {n_articles} (not used to fit the threshold)"
    report["reference_points"] = REFERENCE_POINTS[version]
    return report


def write_given_report(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if "calibration" in report:
        from eval.plots import _figure

        fig = _figure(6, 3.5)
        ax = fig.add_subplot()
        sweep = report["calibration"]["sweep"]
        ax.plot([r[0] for r in sweep], [r[1] for r in sweep], label="overall F1")
        ax.plot([r[0] for r in sweep], [r[2] for r in sweep], label="NoAns accuracy (%)")
        ax.axvline(report["calibration"]["threshold"], color="grey", linestyle="--", label="fitted threshold")
        ax.set_xlabel("answer margin threshold (span − no-answer logits)")
        ax.set_title("threshold fitted on the calibration articles")
        ax.legend()
        fig.savefig(out / "threshold.png", dpi=110)


def print_given(report: dict[str, Any]) -> None:
    s = report["scores"]
    print(f"SQuAD {report['version']} given paragraph: {s['questions']} questions  EM {s['exact']}  F1 {s['f1']}")
    if report["version"] == "v2.0":
        c = report["calibration"]
        print(f"  HasAns F1 {s['HasAns_f1']} ({s['HasAns']} q)  NoAns accuracy {s['NoAns_accuracy']} ({s['NoAns']} q)")
        trained = f" (reader trained on {c['trained_on']})" if "trained_on" in c else ""
        print(f"  threshold {c['threshold']} fitted on articles {c['articles']}{trained}; reported on {s['articles']}")
    for name, em, f1 in report["reference_points"]:
        print(f"  reference: {name:<22} EM {em:5.1f}  F1 {f1:5.1f}")
