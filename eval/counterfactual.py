"""A counterfactual test built from SQuAD: does the answerer notice when two sources disagree?

For a seeded sample of questions, a twin of the question's own paragraph is written as a separate article, with
the answer replaced by another answer of the same kind (a name, a date, a number) taken from the same SQuAD article.
A seeded sample of `ARTICLES` SQuAD articles is the rest of the corpus (every paragraph of each), so every
question has its true paragraph, its swapped twin and realistic distractors on the same topic. Asked through the
real pipeline (retrieval, reader, composition), each answer is scored:

- whether both claims were among the passages read, and then whether the answer flagged the conflict (a `differ`
  part citing both);
- which claim it led with (the true one, the swapped one, neither) or whether it refused;
- corroborations whose own span says the other claim: the worst failure, a contradiction shown as agreement (and,
  counted apart, answers citing the twin as corroboration because both were read as the same span).
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eval import squad
from index.settings import Settings
from qa.answer_text import token_f1

SAMPLE_SIZE = 240
ARTICLES = 12  # SQuAD articles in the corpus (dev has 48): their questions are sampled, their paragraphs distract
SEED = 0
MAX_ANSWER_WORDS = 6
SWAPPED_KINDS = ("name", "date", "number")  # claims a twin can contradict plainly; "other" answers are phrases
SAME_CLAIM_F1 = 0.5  # a short answer says a claim when its token F1 with it reaches this
_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(rf"\b({_MONTHS})\b|^\d{{3,4}}s?$", re.IGNORECASE)
_SMALL_WORDS = {"of", "the", "and", "de", "for", "in", "on", "a", "an", "to", "at", "by", "von", "van", "la", "le"}


@dataclass
class CounterfactualQuestion:
    id: str
    question: str
    answers: list[str]  # the true claim, as SQuAD's annotators gave it
    swapped: str  # the twin article's claim
    article: str  # the file stem of the SQuAD article holding the true paragraph
    twin: str  # the file stem of the twin article
    context: str  # the true paragraph


def sample_articles(data: dict[str, Any], n: int, seed: int) -> dict[str, Any]:
    """`n` of the file's articles, chosen with `seed` (all of them when it has no more)."""
    articles = random.Random(seed).sample(data["data"], min(n, len(data["data"])))
    return {"data": articles, "version": data.get("version", "")}


def answer_kind(text: str) -> str:
    """A coarse kind, so a swap stays plausible: a date, a number, a name (capitalised words), or other."""
    if _DATE.search(text.strip()):
        return "date"
    if any(ch.isdigit() for ch in text):
        return "number"
    words = [w for w in re.findall(r"[^\W\d_][\w'-]*", text) if w.lower() not in _SMALL_WORDS]
    if words and all(w[0].isupper() for w in words):
        return "name"
    return "other"


def _candidates(article: dict[str, Any]) -> list[tuple[str, str, list[str], str]]:
    """(question id, question, its answers, context) of each answered question of one SQuAD article."""
    out = []
    for paragraph in article["paragraphs"]:
        for qa in paragraph["qas"]:
            answers = [str(a["text"]).strip() for a in qa.get("answers", []) if str(a.get("text", "")).strip()]
            if answers:
                out.append((str(qa["id"]), str(qa["question"]).strip(), answers, paragraph["context"]))
    return out


def _swap_for(answer: str, context: str, pool: list[str], rng: random.Random) -> str | None:
    """Another answer of the same kind from the same article that shares no word with this one."""
    kind = answer_kind(answer)
    if kind not in SWAPPED_KINDS:
        return None
    options = sorted(
        {
            other
            for other in pool
            if other != answer
            and answer_kind(other) == kind
            and len(other.split()) <= MAX_ANSWER_WORDS
            and token_f1(other, answer) == 0.0
            and other not in context
        }
    )
    return rng.choice(options) if options else None


def build_questions(data: dict[str, Any], size: int = SAMPLE_SIZE, seed: int = SEED) -> list[CounterfactualQuestion]:
    """A seeded sample of `size` questions (spread over the articles), each with its swapped claim."""
    rng = random.Random(seed)
    stems = [a.stem for a in squad.articles(data)]
    found: list[CounterfactualQuestion] = []
    for stem, article in zip(stems, data["data"], strict=True):
        rows = _candidates(article)
        pool = [answers[0] for _, _, answers, _ in rows]
        for qid, question, answers, context in rows:
            if len(answers[0].split()) > MAX_ANSWER_WORDS or answers[0] not in context:
                continue
            swapped = _swap_for(answers[0], context, pool, rng)
            if swapped is not None:
                flat = squad.flatten_newlines(context)
                found.append(CounterfactualQuestion(qid, question, answers, swapped, stem, "", flat))
    picked = rng.sample(found, min(size, len(found)))
    picked.sort(key=lambda q: (q.article, q.id))
    for n, item in enumerate(picked):
        item.twin = f"twin_{n:04d}"
    return picked


def twin_text(item: CounterfactualQuestion, title: str) -> str:
    """The twin article: the same paragraph under a second outlet's headline, every mention of the answer swapped."""
    return f"{title}: another report\n{item.context.replace(item.answers[0], item.swapped)}\n"


def write_corpus(data: dict[str, Any], questions: list[CounterfactualQuestion], folder: Path) -> None:
    """The SQuAD articles plus one twin article per question, written via a temporary folder renamed into place."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    titles = {}
    for article in squad.articles(data):
        (tmp / f"{article.stem}.txt").write_text(squad.article_text(article), encoding="utf-8")
        titles[article.stem] = article.title
    for item in questions:
        (tmp / f"{item.twin}.txt").write_text(twin_text(item, titles[item.article]), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def prepare(
    data: dict[str, Any], key: str, settings: Settings, cache: Path, size: int, progress: bool
) -> tuple[Settings, list[CounterfactualQuestion]]:
    """Build (or reuse) the corpus of `data` and its index under `cache`/counterfactual/`key`; the settings to ask
    with, and the questions."""
    from index.ingest import ingest

    questions = build_questions(data, size)
    root = cache / "counterfactual" / f"{key}-{size}-{SEED}"
    folder, marker = root / "articles", root / "ingested.json"
    cf_settings = settings.model_copy(
        update={"articles_dir": folder, "index_dir": root / "index", "collection": f"counterfactual-{root.name}"}
    )
    if not marker.exists():
        write_corpus(data, questions, folder)
        report = ingest([folder], cf_settings, progress=progress)
        marker.write_text(json.dumps({"source": key, "summary": report.summary()}), encoding="utf-8")
    return cf_settings, questions


def _stem(paragraph: Any) -> str:
    return Path(paragraph.path).stem


def _says(short: str | None, claims: list[str]) -> bool:
    return bool(short) and max(token_f1(short or "", claim) for claim in claims) >= SAME_CLAIM_F1


def _claim(text: str | None, item: CounterfactualQuestion) -> str | None:
    """Which of the two claims a span says: "true", "swapped", or None (neither)."""
    if _says(text, item.answers):
        return "true"
    return "swapped" if _says(text, [item.swapped]) else None


def score_answer(item: CounterfactualQuestion, answer: Any) -> dict[str, Any]:
    """What one answer did with the two claims (see the module docstring)."""
    paragraphs = {p.paragraph.id: p.paragraph for p in answer.passages}
    read = {_stem(p) for p in paragraphs.values() if p.text.strip()}
    true_read = any(_stem(p) == item.article and item.answers[0] in p.text for p in paragraphs.values())
    cited = {c.n: c for c in answer.citations}
    stems = {n: _stem(paragraphs[c.paragraph_id]) for n, c in cited.items()}
    flagged = answer.conflicting and {item.article, item.twin} <= set(stems.values())
    led = "refused" if answer.refused else _claim(answer.short_answer, item) or "other"
    bad = 0  # a corroboration whose own span says the other claim than the answer: disagreement shown as agreement
    for part in answer.parts:
        if part.kind != "corroboration" or led not in ("true", "swapped"):
            continue
        for n in part.citations:
            c = cited[n]
            if c.answer_start is not None and c.answer_end is not None:
                span = paragraphs[c.paragraph_id].quote(c.answer_start, c.answer_end)
                bad += _claim(span, item) not in (None, led)
    twin_corroborates = any(part.kind == "corroboration" and {stems.get(1), *(stems.get(n) for n in part.citations)}
                            == {item.article, item.twin} for part in answer.parts)  # fmt: skip
    return {"id": item.id, "both_read": true_read and item.twin in read, "flagged": bool(flagged), "led": led,
            "bad_corroborations": bad, "twin_corroborates": twin_corroborates, "conflicting": answer.conflicting,
            "short_answer": answer.short_answer}  # fmt: skip


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    both = [r for r in rows if r["both_read"]]
    led = Counter(r["led"] for r in rows)
    return {
        "questions": len(rows),
        "both_read": len(both),
        "flagged_when_both_read": sum(r["flagged"] for r in both),
        "flag_rate": round(sum(r["flagged"] for r in both) / len(both), 4) if both else None,
        "conflicting_answers": sum(r["conflicting"] for r in rows),
        "led": {kind: led.get(kind, 0) for kind in ("true", "swapped", "other", "refused")},
        "bad_corroborations": sum(r["bad_corroborations"] for r in rows),
        "twin_cited_as_corroboration": sum(r["twin_corroborates"] for r in rows),
    }


def run(path: Path, settings: Settings, cache: Path, size: int, k: int, progress: bool) -> dict[str, Any]:
    """Ask every question of the set through the real assistant; the summary and one row per question."""
    from tqdm import tqdm

    from qa.assistant import Assistant

    data = sample_articles(squad.load_squad(path), ARTICLES, SEED)
    cf_settings, questions = prepare(data, f"{squad.file_hash(path)}-{ARTICLES}", settings, cache, size, progress)
    assistant = Assistant.from_defaults(cf_settings)
    rows = []
    for item in tqdm(questions, desc="counterfactual", unit="q", disable=not progress):
        rows.append(score_answer(item, assistant.ask(item.question, k=k)))
    summary = summarize(rows)
    return {"source": str(path), "k": k, "seed": SEED, "summary": summary, "rows": rows,
            "questions": [asdict(q) for q in questions]}  # fmt: skip


def write_counterfactual_report(report: dict[str, Any], out: Path) -> None:
    """report.json (summary, rows, the questions with their swaps) and a bar chart of what the answers did."""
    from eval.plots import plot_counterfactual

    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    plot_counterfactual(report["summary"], out / "counterfactual.png")
