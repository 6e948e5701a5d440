"""Training examples for the reader from a SQuAD v1.1 file: answers, and negatives that teach it to refuse.

A negative pairs a question with a paragraph of the same article that does not contain its answer: half of them the
paragraph that shares the most words with the question (the hard case a keyword retriever hands the reader), half a
random one. Answers whose start offset is ambiguous in the rebuilt file (`ambiguous_start`) are left out: their
first occurrence may be the wrong one, and there are more questions than a CPU run can use.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

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
