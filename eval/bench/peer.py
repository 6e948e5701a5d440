"""The peer: the same questions through a vanilla llama-index hybrid pipeline over the same Chroma collection.

It is what a llama-index user would write: `VectorStoreIndex.from_vector_store(ChromaVectorStore(...))` for
dense search, `BM25Retriever.from_defaults(nodes=...)` for keywords, fused by `QueryFusionRetriever` in
reciprocal-rank mode with a single query. The embedding model is the very one cited uses, wrapped in a minimal
llama-index `BaseEmbedding` (llama-index-embeddings-huggingface is not installed), so any time difference is
the pipeline's and not the model's.

`QueryFusionRetriever` needs no LLM when `num_queries=1` (no query generation happens), but its constructor
resolves `llm=None` to `Settings.llm`, i.e. the default OpenAI model, which fails without an API key (llama-
index-core 0.14 `fusion_retriever.py`: `resolve_llm(llm) if llm else Settings.llm`). A `MockLLM` is passed so
that nothing is resolved and nothing is ever called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOP_K = 5


def make_embedding(model: Any, batch_size: int = 64, threads: int | None = None) -> Any:
    """A llama-index embedding backed by a loaded SentenceTransformer (normalised, like cited's).

    With `threads`, each encode runs with torch's intra-op thread count set to it (and restores the previous
    count): the peer is a vanilla process, so it keeps torch's default even if cited, sharing this benchmark
    process, sets its own.
    """
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class SentenceTransformerEmbedding(BaseEmbedding):
        _model: Any = PrivateAttr()

        def __init__(self, st_model: Any, **kwargs: Any) -> None:
            super().__init__(model_name="all-MiniLM-L6-v2", embed_batch_size=batch_size, **kwargs)
            self._model = st_model

        def _encode(self, texts: list[str]) -> list[list[float]]:
            if threads is None:
                return self._encode_now(texts)
            import torch

            previous = torch.get_num_threads()
            torch.set_num_threads(threads)
            try:
                return self._encode_now(texts)
            finally:
                torch.set_num_threads(previous)

        def _encode_now(self, texts: list[str]) -> list[list[float]]:
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            return [v.tolist() for v in vectors]

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._encode([query])[0]

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._encode([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._encode(texts)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return SentenceTransformerEmbedding(model)


def load_model(model_path: str) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path, device="cpu", local_files_only=True)


@dataclass
class Peer:
    retriever: Any
    nodes: int

    def retrieve(self, question: str) -> list[Any]:
        return list(self.retriever.retrieve(question))


def build_peer(collection: Any, model: Any, top_k: int = TOP_K, threads: int | None = None) -> Peer:
    """The vanilla hybrid retriever over a live Chroma collection and a loaded SentenceTransformer."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.llms.mock import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.retrievers.bm25 import BM25Retriever
    from llama_index.vector_stores.chroma import ChromaVectorStore

    store = ChromaVectorStore(chroma_collection=collection)
    index = VectorStoreIndex.from_vector_store(store, embed_model=make_embedding(model, threads=threads))
    nodes = store.get_nodes(None)
    fusion = QueryFusionRetriever(
        [
            index.as_retriever(similarity_top_k=top_k),
            BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=top_k),
        ],
        llm=MockLLM(),
        mode="reciprocal_rerank",  # type: ignore[arg-type]
        similarity_top_k=top_k,
        num_queries=1,
        use_async=False,
    )
    return Peer(retriever=fusion, nodes=len(nodes))
