"""Training examples for the reader from a SQuAD v1.1 file: answers, and negatives that teach it to refuse.

A negative pairs a question with a paragraph of the same article that does not contain its answer: half of them the
paragraph that shares the most words with the question (the hard case a keyword retriever hands the reader), half a
random one. Answers whose start offset is ambiguous in the rebuilt file (`ambiguous_start`) are left out: their
first occurrence may be the wrong one, and there are more questions than a CPU run can use.

Negatives from other paragraphs teach "this paragraph is about something else", not "this paragraph is on topic but
does not say". SQuAD v2.0's unanswerable questions are the second kind, written against the paragraph they sit in.
`load_calibration_examples` takes every question of the v2.0 dev file's calibration split (its first
`CALIBRATION_FRACTION` of articles, the same split `cited eval --given-paragraph` fits its threshold on); the figures
are reported on the other articles only.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

CALIBRATION_FRACTION = 0.5  # share of a SQuAD v2.0 file's articles that training and threshold fitting may see
WORD = re.compile(r"\w+")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "with",
        "from",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "did",
        "do",
        "does",
        "that",
        "this",
        "these",
        "those",
        "as",
        "it",
        "its",
        "than",
        "into",
    ]
)


@dataclass(frozen=True)
class Example:
    question: str
    context: str
    answer_start: int  # -1 for a negative (no answer in this context)
    answer_text: str = ""

    @property
    def answerable(self) -> bool:
        return self.answer_start >= 0


def _words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOPWORDS}


def _negative_context(question: str, answer: str, own: int, contexts: list[str], rng: random.Random) -> str | None:
    """A paragraph of the same article without the answer: the best word match or a random one, alternately."""
    lacking = [i for i, c in enumerate(contexts) if i != own and answer.lower() not in c.lower()]
    if not lacking:
        return None
    if rng.random() < 0.5:
        return contexts[rng.choice(lacking)]
    asked = _words(question)
    return contexts[max(lacking, key=lambda i: len(asked & _words(contexts[i])))]


def load_examples(path: Path, positives: int, negative_ratio: float, seed: int) -> list[Example]:
    """`positives` answered questions sampled from the file, plus `negative_ratio` × as many negatives, shuffled."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    candidates: list[tuple[int, int, dict]] = []
    articles = []
    for a, article in enumerate(data):
        contexts = [p["context"] for p in article["paragraphs"]]
        articles.append(contexts)
        for p, paragraph in enumerate(article["paragraphs"]):
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                if not answer.get("ambiguous_start") and answer["text"].strip():
                    candidates.append((a, p, qa))
    rng = random.Random(seed)
    rng.shuffle(candidates)
    chosen = candidates[:positives]
    examples = []
    for a, p, qa in chosen:
        answer = qa["answers"][0]
        examples.append(Example(qa["question"], articles[a][p], int(answer["answer_start"]), answer["text"]))
    for a, p, qa in chosen[: int(len(chosen) * negative_ratio)]:
        context = _negative_context(qa["question"], qa["answers"][0]["text"], p, articles[a], rng)
        if context is not None:
            examples.append(Example(qa["question"], context, -1))
    rng.shuffle(examples)
    return examples


def calibration_articles(n_articles: int, fraction: float = CALIBRATION_FRACTION) -> int:
    """How many leading articles form the calibration split (the rest are reported on)."""
    return int(n_articles * fraction)


def load_calibration_examples(path: Path) -> list[Example]:
    """Every question of a SQuAD v2.0 file's calibration articles: answers, and in-paragraph unanswerables."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    examples = []
    for article in data[: calibration_articles(len(data))]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = [a for a in qa.get("answers", []) if a["text"].strip() and not a.get("ambiguous_start")]
                if qa.get("is_impossible"):
                    examples.append(Example(qa["question"], paragraph["context"], -1))
                elif answers:
                    start, text = int(answers[0]["answer_start"]), answers[0]["text"]
                    examples.append(Example(qa["question"], paragraph["context"], start, text))
    return examples
