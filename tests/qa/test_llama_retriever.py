"""qa.llama_retriever: the hybrid retriever as a llama-index BaseRetriever, used by a real query engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from llama_index.core import Settings as LlamaSettings
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.response_synthesizers.no_text import NoText
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from index.settings import Settings
from qa.llama_retriever import CitedLlamaRetriever
from qa.retriever import QueryError, Retriever

pytestmark = pytest.mark.integration

QUESTION = "who retook eastern Mosul?"
RETOOK = ("retook eastern Mosul", "recaptured eastern Mosul")
META_KEYS = {"paragraph_id", "doc_id", "title", "source", "start", "end"}


def holds_retook(text: str) -> bool:
    return any(phrase in text for phrase in RETOOK)


def test_nodes_carry_the_paragraph_and_its_citation_metadata(
    articles_settings: Settings, original: Callable[[str], str]
) -> None:
    llama = CitedLlamaRetriever.from_defaults(articles_settings, k=5)
    assert isinstance(llama, BaseRetriever)
    nodes = llama.retrieve(QUESTION)
    assert len(nodes) == 5 and all(isinstance(n, NodeWithScore) for n in nodes)
    assert any(holds_retook(n.node.get_content()) for n in nodes[:3])
    scores = [n.score for n in nodes]
    assert all(s is not None and s > 0 for s in scores) and scores == sorted(scores, reverse=True)  # type: ignore
    for node in nodes:
        meta = node.node.metadata
        assert meta.keys() >= META_KEYS
        assert node.node.node_id == meta["paragraph_id"] == f"{meta['doc_id']}#{meta['n']}"
        text = node.node.get_content()  # the paragraph text, without metadata
        assert original(meta["path"])[meta["start"] : meta["end"]] == text
        assert meta["title"]
    # what an LLM would be shown holds the outlet and title but not the offsets
    from llama_index.core.schema import MetadataMode

    shown = nodes[0].node.get_content(metadata_mode=MetadataMode.LLM)
    assert nodes[0].node.metadata["title"] in shown and "start:" not in shown


def test_it_returns_what_the_plain_retriever_returns(articles_settings: Settings, retriever: Retriever) -> None:
    nodes = CitedLlamaRetriever(retriever, k=4).retrieve(QueryBundle(query_str=QUESTION))
    passages = retriever.retrieve(QUESTION, k=4)
    assert [n.node.node_id for n in nodes] == [p.id for p in passages]
    assert [n.score for n in nodes] == pytest.approx([p.score for p in passages])


def test_filters_and_modes_pass_through(articles_settings: Settings) -> None:
    tabnak = CitedLlamaRetriever.from_defaults(articles_settings, k=5, filters={"source": "Tabnak"}).retrieve(QUESTION)
    assert tabnak and {n.node.metadata["source"] for n in tabnak} == {"Tabnak"}
    keyword = CitedLlamaRetriever.from_defaults(articles_settings, k=3, mode="keyword").retrieve("al-Assadi")
    assert keyword and "al-assadi" in keyword[0].node.get_content().lower()
    assert all(n.node.metadata["dense_score"] is None for n in keyword)


def test_errors_surface_as_they_do_in_the_plain_retriever(articles_settings: Settings, retriever: Retriever) -> None:
    with pytest.raises(TypeError, match="qa.Retriever"):
        CitedLlamaRetriever(object())  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="unknown filter"):
        CitedLlamaRetriever(retriever, filters={"outlet": "x"}).retrieve(QUESTION)


def test_async_retrieve_works(retriever: Retriever) -> None:
    nodes = asyncio.run(CitedLlamaRetriever(retriever, k=3).aretrieve(QUESTION))
    assert [n.node.node_id for n in nodes] == [p.id for p in retriever.retrieve(QUESTION, k=3)]


@pytest.mark.parametrize("build", ["from_args-no_text", "no_text-synthesizer", "from_args-compact"])
def test_a_llama_index_query_engine_uses_it_without_an_llm(
    articles_settings: Settings, build: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # llama-index 0.14's get_response_synthesizer(response_mode="no_text") does not pass `llm` on to NoText,
    # which then resolves the global default LLM (OpenAI, no key). Point that default at a MockLLM so nothing
    # can reach a network, and build NoText directly in the second variant.
    monkeypatch.setattr(LlamaSettings, "_llm", MockLLM())
    llama = CitedLlamaRetriever.from_defaults(articles_settings, k=5)
    if build == "from_args-no_text":
        engine = RetrieverQueryEngine.from_args(llama, llm=MockLLM(), response_mode="no_text")
    elif build == "no_text-synthesizer":
        engine = RetrieverQueryEngine(retriever=llama, response_synthesizer=NoText(llm=MockLLM()))
    else:  # a synthesizer that does call the (mock) LLM with the retrieved text
        engine = RetrieverQueryEngine.from_args(llama, llm=MockLLM(max_tokens=8), response_mode="compact")
    response = engine.query(QUESTION)
    sources = response.source_nodes
    assert len(sources) == 5
    assert any(holds_retook(n.node.get_content()) for n in sources[:3])
    top = next(n for n in sources if holds_retook(n.node.get_content()))
    assert top.node.metadata["paragraph_id"].startswith(top.node.metadata["doc_id"] + "#")
    assert [n.node.node_id for n in sources] == [n.node.node_id for n in llama.retrieve(QUESTION)]
    if build == "from_args-compact":
        assert str(response).strip()
