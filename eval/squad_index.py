"""The SQuAD corpus and its own index, built once per SQuAD file and reused.

The index is separate from the user's (its own folder and collection name), so benchmarking never touches the
articles a user has ingested, and so a Chroma server shared with them gets a collection of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval import squad
from eval.datasets import EvalRecord
from index.settings import Settings

DEFAULT_CACHE = Path(".cache")
MARKER = "ingested.json"


@dataclass
class SquadBenchmark:
    records: list[EvalRecord]
    settings: Settings
    corpus: dict[str, Any]
    root: Path


def prepare(path: Path, settings: Settings, cache_root: Path = DEFAULT_CACHE, progress: bool = True) -> SquadBenchmark:
    """Convert `path`, write its articles and ingest them unless an earlier run already did."""
    data = squad.load_squad(path)
    items = squad.articles(data)
    root = cache_root / "squad" / squad.file_hash(path)
    articles_dir, index_dir = root / "articles", root / "index"
    squad_settings = settings.model_copy(
        update={"articles_dir": articles_dir, "index_dir": index_dir, "collection": f"squad-{root.name}"}
    )
    corpus: dict[str, Any] = {"documents": len(items), "paragraphs": sum(len(a.contexts) for a in items)}
    marker = root / MARKER
    if marker.exists() and index_dir.is_dir():
        corpus.update(json.loads(marker.read_text(encoding="utf-8")).get("corpus", {}))
    else:
        squad.write_articles(items, articles_dir)
        from index.ingest import ingest

        report = ingest([articles_dir], squad_settings, progress=progress)
        corpus["indexed"] = _indexed(report)
        marker.write_text(json.dumps({"source": str(path), "corpus": corpus}, indent=1, default=str), encoding="utf-8")
    return SquadBenchmark(records=squad.squad_records(data), settings=squad_settings, corpus=corpus, root=root)


INGEST_FIELDS = ("files", "documents", "paragraphs", "chunks", "seconds")


def _indexed(report: object) -> dict[str, Any]:
    """What the index made of the corpus: the reader may join or drop lines, so its count can differ from the
    number of SQuAD contexts, and both are worth seeing."""
    if isinstance(report, dict):
        return {k: report[k] for k in INGEST_FIELDS if k in report}
    return {k: getattr(report, k) for k in INGEST_FIELDS if hasattr(report, k)}
