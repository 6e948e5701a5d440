"""Question sets in the JSON Lines format of DESIGN.md, read strictly.

A gold set that is silently wrong makes every number computed from it wrong, so loading checks everything it
can (JSON syntax, fields, types, evidence that really occurs in the corpus) and reports every problem with its
file and line at once, so that a hand-edited file can be fixed in one pass.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from eval.normalize import normalize_text

DATASETS_DIR = Path(__file__).parent / "datasets"
DEFAULT_DATASET = DATASETS_DIR / "articles.jsonl"
CORPUS_SUFFIXES = (".txt", ".md", ".html", ".htm")

REQUIRED = {"id": str, "question": str, "answers": list, "evidence": list, "answerable": bool}
OPTIONAL = {"history": list, "category": str, "as_of": date}
_TYPE_NAMES = {str: "a string", list: "a list of strings", bool: "true or false", date: "a date such as 2024-03-01"}

T = TypeVar("T")


@dataclass
class EvalRecord:
    """One question with what a correct answer must say and where it must come from."""

    id: str
    question: str
    answers: list[str]
    evidence: list[str]
    answerable: bool
    history: list[str] = field(default_factory=list)
    category: str | None = None
    as_of: date | None = None  # the day the question is asked on ("this week" is counted back from it)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat() if self.as_of else None
        return data


class DatasetError(ValueError):
    """Every problem found in a dataset file, each with its line number."""

    def __init__(self, path: Path | str, problems: list[tuple[int, str]]):
        self.path = Path(path)
        self.problems = problems
        lines = [f"{self.path}:{line}: {problem}" for line, problem in problems]
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{self.path}: {len(problems)} {noun}\n" + "\n".join(lines))


def load_dataset(path: Path | str, corpus: Sequence[str] | None = None, corpus_name: str = "") -> list[EvalRecord]:
    """Read and validate a JSON Lines question set; with `corpus`, every evidence string must occur in it
    (`corpus_name` says which corpus that was, in the messages)."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(path, [(0, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise DatasetError(path, [(0, f"not UTF-8 text ({exc.reason})")]) from None

    haystacks = [normalize_text(text) for text in corpus] if corpus is not None else None
    records: list[EvalRecord] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        record, errors = parse_record(line)
        problems += [(number, e) for e in errors]
        if record is None:
            continue
        if record.id in seen:
            problems.append((number, f"duplicate id {record.id!r} (first used on line {seen[record.id]})"))
        seen.setdefault(record.id, number)
        if haystacks is not None:
            for evidence in record.evidence:
                needle = normalize_text(evidence)
                if not any(needle in text for text in haystacks):
                    where = f"the corpus ({corpus_name})" if corpus_name else "the corpus"
                    problems.append((number, f"evidence not found in {where}: {_clip(evidence)!r}"))
        records.append(record)
    if not records and not problems:
        problems.append((0, "no questions in the file"))
    if problems:
        raise DatasetError(path, problems)
    return records


def parse_record(line: str) -> tuple[EvalRecord | None, list[str]]:
    """One line to a record, or the list of what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, [f"bad JSON: {exc.msg} (column {exc.colno})"]
    if not isinstance(data, dict):
        return None, [f"expected a JSON object, got {type(data).__name__}"]

    errors: list[str] = []
    for name, kind in REQUIRED.items():
        if name not in data:
            errors.append(f"missing field {name!r}")
        else:
            errors += _check_type(name, data[name], kind)
    for name, kind in OPTIONAL.items():
        if name in data and data[name] is not None:
            errors += _check_type(name, data[name], kind)
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        allowed = ", ".join([*REQUIRED, *OPTIONAL])
        errors.append(f"unknown field(s) {', '.join(map(repr, unknown))}; allowed: {allowed}")
    if errors:
        return None, errors

    for name in ("id", "question"):
        if not data[name].strip():
            errors.append(f"field {name!r} is empty")
    if data["answerable"]:
        errors += [
            f"an answerable question needs at least one {name!r}" for name in ("answers", "evidence") if not data[name]
        ]
    if errors:
        return None, errors
    return EvalRecord(
        id=data["id"],
        question=data["question"],
        answers=list(data["answers"]),
        evidence=list(data["evidence"]),
        answerable=data["answerable"],
        history=list(data.get("history") or []),
        category=data.get("category") or None,
        as_of=date.fromisoformat(data["as_of"]) if data.get("as_of") else None,
    ), []


def _check_type(name: str, value: object, kind: type) -> list[str]:
    if kind is date:
        try:
            date.fromisoformat(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return [f"field {name!r} must be {_TYPE_NAMES[date]}, got {value!r}"]
        return []
    if kind is list:
        if not isinstance(value, list):
            return [f"field {name!r} must be {_TYPE_NAMES[list]}, got {type(value).__name__}"]
        bad = [i for i, item in enumerate(value) if not isinstance(item, str) or not item.strip()]
        return [f"field {name!r} item {i} must be a non-empty string" for i in bad]
    if not isinstance(value, kind):
        return [f"field {name!r} must be {_TYPE_NAMES[kind]}, got {type(value).__name__}"]
    return []


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


_TAG = re.compile(r"<[^>]+>")


def read_corpus(paths: Iterable[Path]) -> list[str]:
    """The text of every article file under the given files or folders, for checking evidence strings."""
    texts = []
    for path in paths:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and file.suffix.lower() in CORPUS_SUFFIXES:
                text = file.read_text(encoding="utf-8", errors="replace")
                if file.suffix.lower() in (".html", ".htm"):
                    text = html.unescape(_TAG.sub(" ", text))
                texts.append(text)
    return texts


def spread_sample(items: Sequence[T], n: int | None) -> list[T]:
    """n items spread evenly over the sequence (always including the first), so a small sample still covers
    every article and category rather than only the first ones."""
    if n is None or n >= len(items):
        return list(items)
    if n <= 0:
        return []
    return [items[i * len(items) // n] for i in range(n)]
