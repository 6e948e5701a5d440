"""The hybrid retriever as a llama-index `BaseRetriever`, so any llama-index query engine or agent can use it.

Each node is a whole paragraph whose id is the paragraph id and whose metadata carries what a citation needs
(document, title, outlet, offsets), so answers built by llama-index stay citable.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from index.limits import Mode
from index.models import Passage
from index.settings import Settings
from qa.retriever import Retriever


def passage_to_node(passage: Passage) -> NodeWithScore:
    p = passage.paragraph
    node = TextNode(
        id_=p.id,
        text=p.text,
        metadata={
            "paragraph_id": p.id,
            "doc_id": p.doc_id,
            "n": p.n,
            "title": p.title,
            "source": p.source,
            "published": p.published.isoformat() if p.published else None,
            "url": p.url,
            "path": p.path,
            "start": p.start,
            "end": p.end,
            "rank": passage.rank,
            "dense_score": passage.dense_score,
            "keyword_score": passage.keyword_score,
        },
        excluded_embed_metadata_keys=["path", "start", "end", "rank", "dense_score", "keyword_score"],
        excluded_llm_metadata_keys=["path", "start", "end", "rank", "dense_score", "keyword_score"],
    )
    return NodeWithScore(node=node, score=passage.score)


class CitedLlamaRetriever(BaseRetriever):
    def __init__(
        self, retriever: Retriever, k: int | None = None, filters: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if not isinstance(retriever, Retriever):
            raise TypeError(f"retriever must be a qa.Retriever, got {type(retriever).__name__}")
        self._inner = retriever
        self._k = k
        self._filters = filters
        super().__init__(**kwargs)

    @classmethod
    def from_defaults(
        cls,
        settings: Settings | None = None,
        k: int | None = None,
        filters: dict[str, Any] | None = None,
        mode: Mode = "fused",
    ) -> CitedLlamaRetriever:
        return cls(Retriever.from_defaults(settings, mode=mode), k=k, filters=filters)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [passage_to_node(p) for p in self._inner.retrieve(query_bundle.query_str, self._k, self._filters)]
