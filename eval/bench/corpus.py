"""Where the benchmark's corpora and indexes come from: the bundled articles and SQuAD v1.1 dev as article
files.

Every index the benchmark builds is fresh, in a temporary folder of its own, with its own collection name, so
a run never touches the user's index and two runs never share state.
"""

from __future__ import annotations

from pathlib import Path

from index.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED_DIR = REPO_ROOT / "data" / "articles"
SQUAD_PATH = REPO_ROOT.parent / "shared" / "benchmarks" / "squad-v1.1-dev.json"
GOLD_PATH = REPO_ROOT / "eval" / "datasets" / "articles.jsonl"
COLLECTION = "bench"


def bench_settings(index_dir: Path, articles_dir: Path, collection: str = COLLECTION) -> Settings:
    """Settings of an embedded index in `index_dir`, extractive answerer, everything else as configured."""
    return Settings(
        index_dir=index_dir,
        articles_dir=articles_dir,
        collection=collection,
        chroma_url=None,
        answerer="extractive",
    )


def write_squad_articles(squad_path: Path, folder: Path) -> int:
    """SQuAD's contexts as article .txt files, exactly as eval/squad_index.py writes them; returns the number
    of contexts (paragraphs)."""
    from eval import squad

    items = squad.articles(squad.load_squad(squad_path))
    squad.write_articles(items, folder)
    return sum(len(a.contexts) for a in items)


def gold_questions(path: Path = GOLD_PATH) -> list[str]:
    from eval.datasets import load_dataset

    return [record.question for record in load_dataset(path)]
