"""Fit the conflict rule (`CONFLICT_SAME_EVENT`, `CONFLICT_GAP`): when another article's different span counts as
"the sources differ".

The calibration data is a counterfactual set (`eval.counterfactual`) built from SQuAD *train* articles, so the dev
set it is reported on, and the bundled gold and held-out sets, stay unseen. Its twin questions say how often a
conflict that was read gets flagged; its plain questions (same corpus, no twin that changes their answer) say how
often a "sources differ" notice would be false. The fitted rule flags the most conflicts with false notices on at
most `MAX_FALSE_DIFFER` of the answered plain questions; among rules that tie, the loosest one (the lowest
same-event overlap, then the widest gap), so that conflicts worded less alike than twins are flagged too.

    python -m eval.conflict_sweep ../shared/benchmarks/squad-v1.1-train.json

The reads (spans and passages of every question) are kept in the cache, so a second run only re-fits.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from eval import squad
from eval.counterfactual import CounterfactualQuestion, prepare, sample_articles
from index.models import Paragraph, ReadSpan
from index.settings import Settings
from qa.agreement import ConflictRule
from qa.extractive import related_spans

CALIBRATION_ARTICLES = 12  # about 550 paragraphs with the twins: minutes to index on 2 cores
TWIN_QUESTIONS = 200
PLAIN_QUESTIONS = 300
SEED = 7
MAX_FALSE_DIFFER = 0.02
GAPS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
SAME_EVENTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)  # 1.01: the gap alone
RULES = [ConflictRule(same_event=e, gap=g) for e in SAME_EVENTS for g in GAPS]


class ReadQuestion(BaseModel):
    """One question's confident spans over the passages retrieved for it, and the two articles of its claims."""

    confident: list[ReadSpan]
    paragraphs: dict[str, Paragraph]  # the passages read, by id
    article: str  # file stem of the question's own article
    twin: str | None  # the twin article's file stem; None for a plain question

    def stem(self, span: ReadSpan) -> str:
        return Path(self.paragraphs[span.paragraph_id].path).stem


READS = TypeAdapter(list[ReadQuestion])  # the cached reads of a calibration run


def _plain_questions(data: dict[str, Any], twins: list[CounterfactualQuestion], n: int) -> list[tuple[str, str]]:
    """(question, article stem) of questions without a twin of their own whose answer no twin changed."""
    taken = {q.id for q in twins}
    twins_of = {q.context: q for q in twins}
    rows = []
    for article, raw in zip(squad.articles(data), data["data"], strict=True):
        for paragraph in raw["paragraphs"]:
            twin = twins_of.get(squad.flatten_newlines(paragraph["context"]))
            told = twin.context.replace(twin.answers[0], twin.swapped) if twin else None
            for qa in paragraph["qas"]:
                answers = [a["text"] for a in qa.get("answers", [])]
                if str(qa["id"]) not in taken and (told is None or any(a in told for a in answers)):
                    rows.append((str(qa["question"]), article.stem))
    return random.Random(SEED).sample(rows, min(n, len(rows)))


def read_all(path: Path, settings: Settings, cache: Path, progress: bool) -> list[ReadQuestion]:
    """Every calibration question read through the real retriever and reader (cached as JSON under `cache`)."""
    from tqdm import tqdm

    from qa.assistant import Assistant

    data = sample_articles(squad.load_squad(path), CALIBRATION_ARTICLES, SEED)
    key = f"calibration-{squad.file_hash(path)}-{CALIBRATION_ARTICLES}"
    cf_settings, twins = prepare(data, key, settings, cache, TWIN_QUESTIONS, progress)
    assistant = Assistant.from_defaults(cf_settings)
    reader, threshold = assistant.extractive.reader, assistant.extractive.threshold
    weights = squad.file_hash(reader.model_dir / "model.safetensors")
    saved = cache / "counterfactual" / f"{key}-reads-{weights}-{threshold}.json"
    if saved.is_file():
        return READS.validate_json(saved.read_bytes())
    asked: list[tuple[str, str, str | None]] = [(q.question, q.article, q.twin) for q in twins]
    asked += [(question, stem, None) for question, stem in _plain_questions(data, twins, PLAIN_QUESTIONS)]
    out = []
    for question, article, twin in tqdm(asked, desc="read", unit="q", disable=not progress):
        passages = assistant.retriever.retrieve(question, cf_settings.top_k)
        spans = reader.read(question, [p.paragraph for p in passages])
        paragraphs = {p.id: p.paragraph for p in passages}
        out.append(ReadQuestion(confident=[s for s in spans if s.margin > threshold], paragraphs=paragraphs,
                                article=article, twin=twin))  # fmt: skip
    saved.write_bytes(READS.dump_json(out))
    return out


def outcome(item: ReadQuestion, rule: ConflictRule, max_citations: int = 3) -> tuple[bool, bool]:
    """(answered, a "sources differ" notice) — for a twin question, a notice in an answer that cites both of its
    articles (as `eval.counterfactual` scores it: another twin may say the true claim and lead)."""
    if not item.confident:
        return False, False
    related = related_spans(item.confident, item.paragraphs, rule, max_citations)
    if not any(how == "conflict" for _, how in related):
        return True, False
    cited = {item.stem(item.confident[0])} | {item.stem(other) for other, _ in related}
    return True, item.twin is None or {item.article, item.twin} <= cited


def sweep(items: list[ReadQuestion], rules: list[ConflictRule] | None = None) -> list[dict[str, Any]]:
    """For each rule: the share of conflicts read that it flags, and of answered plain questions it flags falsely."""
    twins = [i for i in items if i.twin is not None and _both_read(i)]
    plain = [i for i in items if i.twin is None]
    table = []
    for rule in rules or RULES:
        flagged = sum(outcome(i, rule)[1] for i in twins)
        answered = [outcome(i, rule) for i in plain]
        false = sum(notice for ok, notice in answered if ok)
        n_answered = sum(ok for ok, _ in answered)
        table.append({"same_event": rule.same_event, "gap": rule.gap, "flag_rate": flagged / max(len(twins), 1),
                      "both_read": len(twins), "false_differ": false / max(n_answered, 1),
                      "plain_answered": n_answered})  # fmt: skip
    return table


def _both_read(item: ReadQuestion) -> bool:
    stems = {Path(p.path).stem for p in item.paragraphs.values()}
    return item.article in stems and item.twin in stems


def fit(table: list[dict[str, Any]]) -> dict[str, Any]:
    """The row flagging the most conflicts among those with few enough false notices (on ties the loosest rule:
    the lowest same-event overlap, then the widest gap). With none allowed, the strictest rule."""
    allowed = [row for row in table if row["false_differ"] <= MAX_FALSE_DIFFER]
    if not allowed:
        return min(table, key=lambda row: (row["false_differ"], -row["same_event"], row["gap"]))
    return max(allowed, key=lambda row: (row["flag_rate"], -row["same_event"], row["gap"]))


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
        print(f"same event {row['same_event']:>4}, gap {row['gap']:>4}: {flagged}, {false}{mark}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"source": str(args.squad), "fitted": best, "table": table}, indent=1))
    print(f"CONFLICT_SAME_EVENT = {best['same_event']}, CONFLICT_GAP = {best['gap']}  (index/settings.py); "
          f"table: {args.out}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
