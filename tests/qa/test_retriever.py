"""qa.retriever: hybrid (dense + keyword, fused) retrieval over the bundled articles."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import index.embedder
import qa.index_handle
from index.embedder import embedder_for
from index.ingest import ingest
from index.models import Passage
from index.settings import Settings
from qa.retriever import MAX_K, MODES, QueryError, Retriever

pytestmark = pytest.mark.integration

RETOOK = ("retook eastern Mosul", "recaptured eastern Mosul")
EASTERN_MOSUL = "who retook eastern Mosul?"
SPOKESMAN = "who is the spokesman of the Popular Mobilization Forces?"
DOC_001 = "001_6433af30963515e2"
DOC_004 = "004_c9619ea8658885be"


def holds_retook(passage: Passage) -> bool:
    return any(phrase in passage.text for phrase in RETOOK)


def signature(passages: list[Passage]) -> list[tuple[str, int, float]]:
    return [(p.id, p.rank, p.score) for p in passages]


# --- ranking -------------------------------------------------------------------------------------------------
def test_the_eastern_mosul_paragraph_is_in_the_top_three(retriever: Retriever) -> None:
    passages = retriever.retrieve(EASTERN_MOSUL, k=5)
    assert len(passages) == 5
    assert any(holds_retook(p) for p in passages[:3]), [p.text[:80] for p in passages]


def test_the_spokesman_question_finds_the_spokesman_paragraph_and_al_assadi(retriever: Retriever) -> None:
    passages = retriever.retrieve(SPOKESMAN, k=5)
    top3 = [p.text for p in passages[:3]]
    assert any("The spokesman for Iraq’s Popular Mobilization Forces" in t for t in top3), top3
    assert any("al-assadi" in p.text.lower() for p in passages), [p.text[:80] for p in passages]


def test_a_paragraph_naming_al_assadi_is_in_the_top_three_for_the_spokesman_question(retriever: Retriever) -> None:
    passages = retriever.retrieve(SPOKESMAN, k=5)
    assert any("al-assadi" in p.text.lower() for p in passages[:3]), [p.id for p in passages]


# --- what a passage carries ------------------------------------------------------------------------------------
def test_passages_carry_paragraph_offsets_scores_and_dense_ranks(
    retriever: Retriever, original: Callable[[str], str]
) -> None:
    passages = retriever.retrieve(EASTERN_MOSUL, k=10)
    assert len(passages) == 10
    assert [p.rank for p in passages] == list(range(1, 11))
    ids = [p.id for p in passages]
    assert len(set(ids)) == len(ids), "a paragraph appears twice"
    fused = [p.score for p in passages]
    assert fused == sorted(fused, reverse=True) and all(s > 0 for s in fused)
    both = 0
    for p in passages:
        para = p.paragraph
        assert p.id == para.id == f"{para.doc_id}#{para.n}" and para.n >= 1
        assert Path(para.path).stem == para.doc_id
        text = original(para.path)
        assert text[para.start : para.end] == para.text == p.text
        assert para.title and para.title.rstrip("…").strip() in text
        if para.source:  # the outlet/dateline prefix the article's text starts with, e.g. "Tabnak –"
            assert re.search(rf"(^|\n){re.escape(para.source)}\s*[-–—]", text), (para.source, para.doc_id)
        assert p.dense_rank is not None or p.keyword_rank is not None
        if p.dense_rank is not None:
            assert p.dense_rank >= 1 and p.dense_score is not None and -1.0 <= p.dense_score <= 1.0
        if p.keyword_rank is not None:
            assert p.keyword_rank >= 1 and p.keyword_score is not None and p.keyword_score > 0
        both += p.dense_rank is not None and p.keyword_rank is not None
    assert both >= 1, "fusion should see paragraphs found by both retrievers"
    sources = {
        p.paragraph.doc_id: p.paragraph.source for p in retriever.retrieve("Tabnak Reuters Shiite offensive", k=10)
    }
    assert sources.get("003_c58f28e98a55fbe1") == "Tabnak"


def test_default_k_comes_from_the_settings(retriever: Retriever, articles_settings: Settings) -> None:
    assert len(retriever.retrieve(EASTERN_MOSUL)) == articles_settings.top_k
    assert len(retriever.retrieve(EASTERN_MOSUL, k=MAX_K)) == min(MAX_K, len(retriever.snapshot.paragraphs))


def test_search_returns_the_query_vector_and_timings(retriever: Retriever) -> None:
    result = retriever.search(EASTERN_MOSUL, k=3)
    assert result.query_vector is not None and result.query_vector.shape == (retriever.embedder().dimension,)
    assert {"dense", "keyword", "retrieve"} <= result.timings.keys()
    assert all(v >= 0 for v in result.timings.values())


# --- modes -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_every_mode_finds_the_eastern_mosul_paragraph(articles_settings: Settings, mode: str) -> None:
    r = Retriever.from_defaults(articles_settings, mode=mode)
    result = r.search(EASTERN_MOSUL, k=5)
    passages = result.passages
    assert passages and [p.rank for p in passages] == list(range(1, len(passages) + 1))
    assert any(holds_retook(p) for p in passages[:3]), (mode, [p.id for p in passages])
    if mode == "dense":
        assert all(p.keyword_rank is None for p in passages)
        assert any(p.dense_rank is not None for p in passages)
    elif mode == "keyword":
        assert result.query_vector is None
        assert all(p.dense_rank is None and p.keyword_rank is not None for p in passages)
        assert [p.keyword_rank for p in passages] == sorted(p.keyword_rank for p in passages)  # type: ignore[type-var]


def test_an_invalid_mode_is_refused(articles_settings: Settings) -> None:
    with pytest.raises(ValueError, match="mode"):
        Retriever.from_defaults(articles_settings, mode="semantic")


# --- filters ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "filters",
    [
        {"source": "Tabnak"},
        {"doc_id": DOC_001},
        {"doc_id": [DOC_001, DOC_004]},
        {"source": ["Tabnak", "Alwaght"]},
    ],
    ids=["source", "doc_id", "doc_ids", "sources"],
)
def test_filters_restrict_every_passage(articles_settings: Settings, mode: str, filters: dict[str, Any]) -> None:
    r = Retriever.from_defaults(articles_settings, mode=mode)
    passages = r.retrieve(EASTERN_MOSUL + " Mosul offensive", k=10, filters=filters)
    assert passages, (mode, filters)
    for key, value in filters.items():
        allowed = {value} if isinstance(value, str) else set(value)
        assert {getattr(p.paragraph, key) for p in passages} <= allowed
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))


def test_filters_combine_with_and(retriever: Retriever) -> None:
    both = retriever.retrieve(EASTERN_MOSUL, k=10, filters={"source": "Tabnak", "doc_id": DOC_001})
    assert both == []  # article 001 is not from Tabnak
    one = retriever.retrieve(EASTERN_MOSUL, k=10, filters={"source": "Mosul", "doc_id": DOC_004})
    assert one and all(p.paragraph.doc_id == DOC_004 for p in one)


def test_a_filter_changes_the_result(retriever: Retriever) -> None:
    unfiltered = retriever.retrieve(EASTERN_MOSUL, k=3)
    filtered = retriever.retrieve(EASTERN_MOSUL, k=3, filters={"source": "Tabnak"})
    assert any(p.paragraph.source != "Tabnak" for p in unfiltered)
    assert filtered and all(p.paragraph.source == "Tabnak" for p in filtered)


# --- invalid queries -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query, options, message",
    [
        (EASTERN_MOSUL, {"filters": {"outlet": "Tabnak"}}, r"unknown filter 'outlet'.*doc_id, source"),
        ("", {}, "empty"),
        ("   \n\t ", {}, "empty"),
        (EASTERN_MOSUL, {"k": 0}, "k must be between 1 and 50, got 0"),
        (EASTERN_MOSUL, {"k": 51}, "k must be between 1 and 50, got 51"),
        (EASTERN_MOSUL, {"k": -3}, "between 1 and 50"),
        (EASTERN_MOSUL, {"filters": {"source": []}}, "non-empty string"),
        (EASTERN_MOSUL, {"filters": {"doc_id": ["", DOC_001]}}, "non-empty string"),
    ],
    ids=["unknown-filter", "empty", "whitespace", "k0", "k51", "k-negative", "empty-list", "empty-string"],
)
def test_invalid_queries_raise_a_clear_query_error(
    retriever: Retriever, query: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(QueryError, match=message) as info:
        retriever.retrieve(query, **options)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", [None, 3], ids=["None", "int"])
def test_a_filter_value_that_is_not_a_string_is_a_query_error(retriever: Retriever, value: Any) -> None:
    with pytest.raises(QueryError, match="source"):
        retriever.retrieve(EASTERN_MOSUL, filters={"source": value})


# --- concurrency and sharing -----------------------------------------------------------------------------------
def test_parallel_calls_give_the_sequential_results(retriever: Retriever) -> None:
    queries = [
        (EASTERN_MOSUL, None),
        (SPOKESMAN, None),
        ("How many bodies did ISIS leave in the field?", None),
        ("Mosul offensive", {"source": "Tabnak"}),
        ("al-Assadi Syrian border", {"doc_id": DOC_001}),
    ] * 4
    assert len(queries) == 20

    def run(item: tuple[str, dict[str, Any] | None]) -> list[tuple[str, int, float]]:
        return signature(retriever.retrieve(item[0], k=5, filters=item[1]))

    sequential = [run(q) for q in queries]
    with ThreadPoolExecutor(max_workers=10) as pool:
        parallel = list(pool.map(run, queries))
    for seq, par in zip(sequential, parallel, strict=True):
        assert [(i, r) for i, r, _ in par] == [(i, r) for i, r, _ in seq]
        assert [s for _, _, s in par] == pytest.approx([s for _, _, s in seq])
    assert sequential[0] == sequential[5] == sequential[10]


def test_the_model_and_the_stores_load_once(
    articles_settings: Settings, retriever: Retriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa.assistant import Assistant

    retriever.retrieve(EASTERN_MOSUL, k=1)  # opened
    opened = qa.index_handle.shared_handle(articles_settings).get()
    embedder_misses = index.embedder._load_embedder.cache_info().misses
    real_open = qa.index_handle.open_index
    opens: list[Settings] = []

    def counting_open(settings: Settings, *args: Any, **kwargs: Any) -> Any:
        opens.append(settings)
        return real_open(settings, *args, **kwargs)

    monkeypatch.setattr(qa.index_handle, "open_index", counting_open)
    monkeypatch.setattr(qa.index_handle, "REFRESH_SECONDS", 0.0)  # every call asks the pointer: still no reopen
    first = Retriever.from_defaults(articles_settings)
    second = Retriever.from_defaults(articles_settings.model_copy())
    assistant = Assistant.from_defaults(articles_settings)
    for r in (first, second, assistant.retriever):
        assert r.retrieve(EASTERN_MOSUL, k=2)
    assert opens == [], "the index was opened again"
    handle = qa.index_handle.shared_handle(articles_settings)
    assert first._handle is second._handle is assistant.retriever._handle is handle
    assert handle.get() is opened and first.snapshot is second.snapshot is opened.snapshot
    embedder = embedder_for(articles_settings)
    assert first.embedder() is second.embedder() is retriever.embedder() is embedder
    assert index.embedder._load_embedder.cache_info().misses == embedder_misses


# --- chunks of one paragraph -----------------------------------------------------------------------------------
def test_chunks_of_a_long_paragraph_collapse_into_one_passage(
    fresh_settings: Callable[..., Settings], articles_dir: Path, tmp_path: Path, original: Callable[[str], str]
) -> None:
    folder = tmp_path / "one-article"
    folder.mkdir()
    shutil.copy(articles_dir / f"{DOC_001}.txt", folder)
    settings = fresh_settings(articles_dir=folder, chunk_size=100)
    report = ingest([folder], settings, progress=False)
    assert report.chunks > report.paragraphs, "chunk_size=100 should split some paragraphs"
    for mode in MODES:
        r = Retriever.from_defaults(settings, mode=mode)
        passages = r.retrieve("Popular Mobilization Forces Daesh Mosul al-Assadi Syrian border", k=report.paragraphs)
        ids = [p.id for p in passages]
        assert passages and len(ids) == len(set(ids)), (mode, ids)
        assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
        for p in passages:  # the whole paragraph, not a chunk of it
            assert original(p.paragraph.path)[p.paragraph.start : p.paragraph.end] == p.text


# --- server mode and refresh -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_server_mode_on_a_fresh_machine_rebuilds_the_keyword_index(
    chroma_server: str,
    unique_collection: Callable[..., str],
    tmp_path: Path,
    articles_dir: Path,
    retriever: Retriever,
    original: Callable[[str], str],
) -> None:
    settings = Settings(
        chroma_url=chroma_server,
        collection=unique_collection(),
        index_dir=tmp_path / "index",
        articles_dir=articles_dir,
    )
    report = ingest([articles_dir], settings, progress=False)
    assert report.documents == 5 and settings.cache_dir.is_dir()
    shutil.rmtree(settings.cache_dir)  # a new machine: only the server knows the index
    assert not settings.cache_dir.exists()

    fused = Retriever.from_defaults(settings).retrieve(EASTERN_MOSUL, k=5)
    assert any(holds_retook(p) for p in fused[:3]), [p.id for p in fused]
    for p in fused:
        assert original(p.paragraph.path)[p.paragraph.start : p.paragraph.end] == p.text
    keyword = Retriever.from_defaults(settings, mode="keyword").retrieve("al-Assadi", k=5)
    named = ["al-assadi" in p.text.lower() for p in keyword]
    assert sum(named) >= 2 and named == sorted(named, reverse=True), [p.id for p in keyword]  # rare name first
    assert all(p.keyword_rank is not None for p in keyword)
    # the same articles give the same ranking as the embedded index
    assert [p.id for p in fused] == [p.id for p in retriever.retrieve(EASTERN_MOSUL, k=5)]
    assert (settings.cache_dir / report.version / "manifest.json").exists(), "the rebuilt snapshot is cached"


ARTICLE_BRIDGE = (
    "Old Stone Bridge Reopens\n\n"
    "The old stone bridge over the river reopened on Monday after two years of repairs.\n\n"
    "Engineers replaced the worn arches of the bridge.\n"
)
ARTICLE_LIBRARY = (
    "City Library Extends Its Hours\n\nThe city library will stay open until ten in the evening from next month.\n"
)


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")


def test_an_existing_retriever_picks_up_a_newly_published_ingest(
    fresh_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qa.index_handle, "REFRESH_SECONDS", 0.0)
    folder = tmp_path / "news"
    _write(folder, "bridge", ARTICLE_BRIDGE)
    settings = fresh_settings(articles_dir=folder)
    ingest([folder], settings, progress=False)
    r = Retriever.from_defaults(settings)
    before = r.retrieve("library opening hours in the evening", k=3)
    assert {p.paragraph.doc_id for p in before} == {"bridge"}
    version = r.snapshot.version

    _write(folder, "library", ARTICLE_LIBRARY)
    report = ingest([folder], settings, progress=False)
    assert report.added == ["library"]
    after = r.retrieve("library opening hours in the evening", k=3)
    assert after[0].paragraph.doc_id == "library"
    assert r.snapshot.version == report.version != version
    keyword = Retriever(settings, r._handle, mode="keyword").retrieve("library", k=3)
    assert [p.paragraph.doc_id for p in keyword] == ["library"]


def test_a_query_right_after_a_publish_does_not_fail(
    fresh_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "news"
    _write(folder, "bridge", ARTICLE_BRIDGE)
    settings = fresh_settings(articles_dir=folder)
    ingest([folder], settings, progress=False)
    r = Retriever.from_defaults(settings)
    assert r.retrieve("bridge repairs", k=2)
    # The handle checked the pointer just now; the next check is REFRESH_SECONDS away (made long so the
    # window does not depend on how fast this machine ingests).
    monkeypatch.setattr(qa.index_handle, "REFRESH_SECONDS", 600.0)
    _write(folder, "library", ARTICLE_LIBRARY)
    ingest([folder], settings, progress=False)
    passages = r.retrieve("bridge repairs", k=2)
    assert passages and passages[0].paragraph.doc_id == "bridge"


def test_a_query_survives_publishes_that_retire_the_version_its_retry_opened(
    fresh_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repeated ingests can retire the version a retry has just opened: the query must keep reopening."""
    folder = tmp_path / "news"
    _write(folder, "bridge", ARTICLE_BRIDGE)
    settings = fresh_settings(articles_dir=folder)
    ingest([folder], settings, progress=False)
    r = Retriever.from_defaults(settings)
    assert r.retrieve("bridge repairs", k=2)
    monkeypatch.setattr(qa.index_handle, "REFRESH_SECONDS", 600.0)
    _write(folder, "library", ARTICLE_LIBRARY)
    ingest([folder], settings, progress=False)  # retires the version r holds
    reopen = r._handle.reopen
    reopened: list[str] = []

    def reopen_then_publish_again() -> Any:
        opened = reopen()
        reopened.append(opened.version)
        if len(reopened) == 1:  # the version just opened is retired before the retry queries it
            _write(folder, f"note{len(reopened)}", "A Note\n\nThe bridge has a new lamp post.\n")
            ingest([folder], settings, progress=False)
        return opened

    monkeypatch.setattr(r._handle, "reopen", reopen_then_publish_again)
    passages = r.retrieve("bridge repairs", k=2)
    assert passages and passages[0].paragraph.doc_id == "bridge"
    assert len(reopened) == 2 and reopened[0] != reopened[1] == r.snapshot.version
