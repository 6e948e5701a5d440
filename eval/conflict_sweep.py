"""Fit `CONFLICT_GAP`: how close to the answer's confidence another article's different span must be to count as
"the sources differ".

The calibration data is a counterfactual set (`eval.counterfactual`) built from SQuAD *train* articles, so the dev
set it is reported on, and the bundled gold and held-out sets, stay unseen. Its twin questions say how often a
conflict that was read gets flagged; its plain questions (same corpus, no twin of their own) say how often a
"sources differ" notice would be false. The fitted gap flags the most conflicts with false notices on at most
`MAX_FALSE_DIFFER` of the answered plain questions.

    python -m eval.conflict_sweep ../shared/benchmarks/squad-v1.1-train.json
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval import squad
from eval.counterfactual import CounterfactualQuestion, prepare, sample_articles
from index.models import ReadSpan
from index.settings import Settings
from qa.extractive import related_spans

CALIBRATION_ARTICLES = 12  # about 550 paragraphs with the twins: minutes to index on 2 cores
TWIN_QUESTIONS = 200
PLAIN_QUESTIONS = 300
SEED = 7
MAX_FALSE_DIFFER = 0.02
GAPS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)


@dataclass
class ReadQuestion:
    """One question's confident spans over the passages retrieved for it, and the two articles of its claims."""

    confident: list[ReadSpan]
    docs: dict[str, str]  # paragraph id -> file stem
    article: str
    twin: str | None  # None for a plain question


def _plain_questions(data: dict[str, Any], twins: list[CounterfactualQuestion], n: int) -> list[tuple[str, str]]:
    """(question, article stem) of questions the set did not give a twin to."""
    taken = {q.id for q in twins}
    rows = [
        (str(qa["question"]), article.stem)
        for article, raw in zip(squad.articles(data), data["data"], strict=True)
        for paragraph in raw["paragraphs"]
        for qa in paragraph["qas"]
        if str(qa["id"]) not in taken
    ]
    return random.Random(SEED).sample(rows, min(n, len(rows)))


def read_all(path: Path, settings: Settings, cache: Path, progress: bool) -> list[ReadQuestion]:
    from tqdm import tqdm

    from qa.assistant import Assistant

    data = sample_articles(squad.load_squad(path), CALIBRATION_ARTICLES, SEED)
    key = f"calibration-{squad.file_hash(path)}-{CALIBRATION_ARTICLES}"
    cf_settings, twins = prepare(data, key, settings, cache, TWIN_QUESTIONS, progress)
    assistant = Assistant.from_defaults(cf_settings)
    reader, threshold = assistant.extractive.reader, assistant.extractive.threshold
    asked: list[tuple[str, str, str | None]] = [(q.question, q.article, q.twin) for q in twins]
    asked += [(question, stem, None) for question, stem in _plain_questions(data, twins, PLAIN_QUESTIONS)]
    out = []
    for question, article, twin in tqdm(asked, desc="read", unit="q", disable=not progress):
        passages = assistant.retriever.retrieve(question, cf_settings.top_k)
        spans = reader.read(question, [p.paragraph for p in passages])
        docs = {p.id: Path(p.paragraph.path).stem for p in passages}
        out.append(ReadQuestion([s for s in spans if s.margin > threshold], docs, article, twin))
    return out


def outcome(item: ReadQuestion, gap: float, max_citations: int = 3) -> tuple[bool, bool]:
    """(answered, a "sources differ" notice) — for a twin question, a notice naming both of its articles."""
    if not item.confident:
        return False, False
    conflicts = [other for other, how in related_spans(item.confident, item.docs, gap, max_citations)
                 if how == "conflict"]  # fmt: skip
    if item.twin is None:
        return True, bool(conflicts)
    lead = item.docs[item.confident[0].paragraph_id]
    return True, any({lead, item.docs[o.paragraph_id]} == {item.article, item.twin} for o in conflicts)


def sweep(items: list[ReadQuestion], gaps: tuple[float, ...] = GAPS) -> list[dict[str, Any]]:
    twins = [i for i in items if i.twin is not None and _both_read(i)]
    plain = [i for i in items if i.twin is None]
    table = []
    for gap in gaps:
        flagged = sum(outcome(i, gap)[1] for i in twins)
        answered = [outcome(i, gap) for i in plain]
        false = sum(notice for ok, notice in answered if ok)
        n_answered = sum(ok for ok, _ in answered)
        table.append({"gap": gap, "flag_rate": flagged / max(len(twins), 1), "both_read": len(twins),
                      "false_differ": false / max(n_answered, 1), "plain_answered": n_answered})  # fmt: skip
    return table


def _both_read(item: ReadQuestion) -> bool:
    stems = set(item.docs.values())
    return item.article in stems and item.twin in stems


def fit(table: list[dict[str, Any]]) -> dict[str, Any]:
    """The row flagging the most conflicts among those with few enough false notices (the smaller gap on ties)."""
    allowed = [row for row in table if row["false_differ"] <= MAX_FALSE_DIFFER] or table[:1]
    return max(allowed, key=lambda row: (row["flag_rate"], -row["gap"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.conflict_sweep", description=__doc__.splitlines()[0])
    parser.add_argument("squad", type=Path, help="SQuAD v1.1 train JSON (calibration articles are sampled from it)")
    parser.add_argument("--cache", type=Path, default=Path(".cache"))
    parser.add_argument("--out", type=Path, default=Path("reports/conflict-sweep.json"))
    args = parser.parse_args(argv)
    table = sweep(read_all(args.squad, Settings(), args.cache, progress=True))
    best = fit(table)
    for row in table:
        mark = "  <- fitted" if row is best else ""
        flagged = f"flagged {row['flag_rate']:.3f} of {row['both_read']} conflicts read"
        false = f"false 'sources differ' {row['false_differ']:.3f} of {row['plain_answered']} answered"
        print(f"gap {row['gap']:>5}: {flagged}, {false}{mark}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"source": str(args.squad), "fitted": best, "table": table}, indent=1))
    print(f"CONFLICT_GAP = {best['gap']}  (index/settings.py); table: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
