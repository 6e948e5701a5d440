"""SQuAD v1.1 as a second, public benchmark: its contexts become a corpus of articles, its questions a
question set.

The conversion is deterministic and keyed by the file's content hash, so the corpus is written and indexed
once and reused by every later run; a changed file gets a fresh folder rather than a stale index.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import DatasetError, EvalRecord
from index.sentences import split_sentences

_NEWLINES = re.compile(r"[\r\n]")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class SquadArticle:
    stem: str
    title: str
    contexts: list[str]


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def load_squad(path: Path) -> dict[str, Any]:
    """The parsed file, after checking it has SQuAD's shape (a clear error beats a KeyError deep in a run)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(path, [(0, "file not found")]) from None
    except json.JSONDecodeError as exc:
        raise DatasetError(path, [(exc.lineno, f"bad JSON: {exc.msg} (column {exc.colno})")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DatasetError(path, [(0, 'not SQuAD v1.1 JSON: expected an object with a "data" list')])
    for i, article in enumerate(data["data"]):
        if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
            raise DatasetError(path, [(0, f'article {i} has no "paragraphs" list')])
        for j, paragraph in enumerate(article["paragraphs"]):
            if not isinstance(paragraph.get("context"), str) or not isinstance(paragraph.get("qas"), list):
                raise DatasetError(path, [(0, f'article {i} paragraph {j} needs a "context" string and a "qas" list')])
    return data


def articles(data: dict[str, Any]) -> list[SquadArticle]:
    """One article per SQuAD title, one context per paragraph, newlines flattened (a line is a paragraph)."""
    result = []
    for i, article in enumerate(data["data"]):
        title = str(article.get("title") or f"article {i}").replace("_", " ").strip()
        slug = _SLUG.sub("_", title.lower()).strip("_")[:60] or "article"
        contexts = [flatten_newlines(p["context"]) for p in article["paragraphs"]]
        result.append(SquadArticle(stem=f"{i:03d}_{slug}", title=title, contexts=contexts))
    return result


def flatten_newlines(context: str) -> str:
    """A SQuAD context on one line: in the written corpus a line is a paragraph."""
    return _NEWLINES.sub(" ", context)


def article_text(article: SquadArticle) -> str:
    return "\n".join([article.title, *article.contexts]) + "\n"


def evidence_span(context: str, start: int, end: int) -> str:
    """The sentence(s) holding the answer: from the one with `start` through the one with the answer's end,
    so an answer that a sentence boundary cuts through is still inside its evidence."""
    spans = split_sentences(context)
    first = next((s for s in spans if s[1] > start), None)
    last = next((s for s in reversed(spans) if s[0] < end), None)
    if first is None or last is None or last[1] < first[0]:
        return context[start:end]
    return context[first[0] : max(first[1], last[1])]


def iter_records(data: dict[str, Any]) -> Iterator[EvalRecord]:
    for article, converted in zip(data["data"], articles(data), strict=True):
        for paragraph, context in zip(article["paragraphs"], converted.contexts, strict=True):
            for qa in paragraph["qas"]:
                answers = [a for a in qa.get("answers", []) if str(a.get("text", "")).strip()]
                if not answers:  # SQuAD v2.0's unanswerable questions (v1.1 has none): they should be refused
                    yield EvalRecord(
                        id=str(qa["id"]),
                        question=str(qa["question"]).strip(),
                        answers=[],
                        evidence=[],
                        answerable=False,
                        category=converted.title,
                    )
                    continue
                texts = list(dict.fromkeys(str(a["text"]).strip() for a in answers))
                first = answers[0]
                start = int(first.get("answer_start", -1))
                if context[start : start + len(first["text"])] != first["text"]:
                    start = max(context.find(first["text"]), 0)
                evidence = evidence_span(context, start, start + len(first["text"]))
                yield EvalRecord(
                    id=str(qa["id"]),
                    question=str(qa["question"]).strip(),
                    answers=texts,
                    evidence=[evidence],
                    answerable=True,
                    category=converted.title,
                )


def squad_records(data: dict[str, Any]) -> list[EvalRecord]:
    """Every question, in file order, with deduplicated gold answers and its evidence sentence."""
    return list(iter_records(data))


def write_articles(items: list[SquadArticle], folder: Path) -> None:
    """Write the corpus via a temporary folder renamed into place, so an interrupted run leaves nothing."""
    if folder.is_dir() and any(folder.iterdir()):
        return
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for article in items:
        (tmp / f"{article.stem}.txt").write_text(article_text(article), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
