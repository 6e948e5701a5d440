"""Hybrid retrieval: dense search in Chroma and bm25s keyword search, fused by reciprocal rank.

Dense search finds paraphrases ("recaptured the eastern half" for "retook eastern Mosul"); keyword search finds
what hinges on a rare name ("al-Assadi"). Reciprocal-rank fusion needs no score calibration between the two,
which is why it is the default. Several chunks of one paragraph collapse into one passage: the paragraph is what
gets cited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from index.dates import day_number, parse_date
from index.limits import DATE_FILTER_KEYS, FILTER_KEYS, MAX_K, MODES, Mode, is_blank
from index.models import Passage
from index.paragraph_table import ParagraphTable
from index.settings import Settings, get_settings
from index.snapshot import Snapshot, keyword_tokenize
from index.store import PUBLISHED_DAY_KEY
from qa.index_handle import IndexHandle, shared_handle
from qa.timeframe import Window, resolve

# How many times a query is tried when ingests keep retiring the version it holds: each publish retires at most
# the version before it, so a query has to lose this many races in a row to fail.
SEARCH_ATTEMPTS = 4


class QueryError(ValueError):
    """A query or its options are invalid; the message says how."""


@dataclass
class RetrievalResult:
    passages: list[Passage]
    query_vector: np.ndarray | None
    timings: dict[str, float] = field(default_factory=dict)
    window: Window | None = None  # the days the query's time words name, as of its date


@dataclass(frozen=True)
class RetrievalFilter:
    """Which paragraphs a query may return: some articles or outlets (`values`), and a range of article days. An
    article of unknown date is outside every date range. Chroma gets it as `where`, the keyword and sentence
    searches as `mask`, so all three lists honour the same filter."""

    values: dict[str, list[str]] = field(default_factory=dict)
    since: date | None = None
    until: date | None = None

    def __bool__(self) -> bool:
        return bool(self.values) or self.since is not None or self.until is not None

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = [{key: {"$in": values}} for key, values in self.values.items()]
        if self.since is not None:
            clauses.append({PUBLISHED_DAY_KEY: {"$gte": day_number(self.since)}})
        if self.until is not None:
            clauses.append({PUBLISHED_DAY_KEY: {"$lte": day_number(self.until)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def mask(self, table: ParagraphTable) -> np.ndarray:
        """Which of the snapshot's paragraphs the filter lets through, from its columns (no record is parsed)."""
        columns = {"doc_id": table.doc_ids, "source": table.sources}
        keep = np.ones(len(table), dtype=bool)
        for key, values in self.values.items():
            wanted = set(values)
            keep &= np.fromiter((v in wanted for v in columns[key]), dtype=bool, count=len(table))
        if self.since is not None or self.until is not None:
            low, high = self.since or date.min, self.until or date.max
            days = table.published
            keep &= np.fromiter((d is not None and low <= d <= high for d in days), dtype=bool, count=len(table))
        return keep


def normalise_filters(filters: dict[str, Any] | RetrievalFilter | None) -> RetrievalFilter:
    """{"doc_id": "a" | ["a", "b"], "source": ..., "since": "2024-01-01", "until": ...}, unknown keys refused."""
    if isinstance(filters, RetrievalFilter):
        return filters
    values: dict[str, list[str]] = {}
    days: dict[str, date | None] = {"since": None, "until": None}
    for key, value in (filters or {}).items():
        if key not in FILTER_KEYS:
            raise QueryError(f"unknown filter {key!r}; filters are {', '.join(FILTER_KEYS)}")
        if key in DATE_FILTER_KEYS:
            days[key] = _filter_day(key, value)
            continue
        listed = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else []
        if not listed or not all(isinstance(v, str) and v for v in listed):
            raise QueryError(f"filter {key!r} needs a non-empty string or list of strings")
        values[key] = listed
    since, until = days["since"], days["until"]
    if since and until and since > until:
        raise QueryError(f"the date range is empty: since {since} is after until {until}")
    return RetrievalFilter(values, since, until)


def _filter_day(key: str, value: object) -> date | None:
    if value is None:
        return None
    day = value if isinstance(value, date) else parse_date(value) if isinstance(value, str) else None
    if day is None:
        raise QueryError(f"filter {key!r} needs a date such as 2024-03-01, got {value!r}")
    return day


def _rrf(rank_lists: list[tuple[float, list[str]]], k: int) -> dict[str, float]:
    """Weighted reciprocal-rank fusion: sum of weight / (k + rank) over the lists a paragraph appears in."""
    scores: dict[str, float] = {}
    for weight, ranks in rank_lists:
        for rank, pid in enumerate(ranks, start=1):
            scores[pid] = scores.get(pid, 0.0) + weight / (k + rank)
    return scores


class Retriever:
    """`Retriever.from_defaults().retrieve("who retook eastern Mosul?", k=5)` → passages, best first."""

    def __init__(self, settings: Settings, handle: IndexHandle, mode: Mode = "fused") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.settings = settings
        self.mode = mode
        self._handle = handle
        self._counts: dict[str, int] = {}

    @classmethod
    def from_defaults(cls, settings: Settings | None = None, mode: Mode = "fused") -> Retriever:
        settings = settings or get_settings()
        return cls(settings, shared_handle(settings), mode)

    @property
    def snapshot(self) -> Snapshot:
        return self._handle.get().snapshot

    def embedder(self) -> Any:
        from index.embedder import embedder_for

        return embedder_for(self.settings, self._handle.get().encoder)  # the index's encoder, not the setting

    def retrieve(
        self, query: str, k: int | None = None, filters: dict[str, Any] | None = None, as_of: date | None = None
    ) -> list[Passage]:
        return self.search(query, k, filters, as_of).passages

    def as_of(self, given: date | None = None) -> date:
        """The day time words are resolved against: `given`, else the index's newest article date, else today."""
        return given or self.snapshot.newest_published or date.today()

    def search(
        self, query: str, k: int | None = None, filters: dict[str, Any] | None = None, as_of: date | None = None
    ) -> RetrievalResult:
        """Passages plus the query vector (the answerer reuses it), timings, and the window of days the query's
        time words name as of `as_of` (`qa.timeframe`: articles outside it rank lower)."""
        if is_blank(query):
            raise QueryError("the query is empty (or only invisible characters)")
        query = query.strip()
        k = self.settings.top_k if k is None else k
        if not 1 <= k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K}, got {k}")
        flt = normalise_filters(filters)
        t0 = time.perf_counter()
        for attempt in range(SEARCH_ATTEMPTS):
            try:
                if attempt:
                    self._handle.reopen()
                return self._search(query, k, flt, t0, as_of)
            except Exception as err:
                if attempt == SEARCH_ATTEMPTS - 1 or not self._version_retired(err):
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _version_retired(self, err: Exception) -> bool:
        """Whether `err` means an ingest published a new version and retired the one we held (its collection
        deleted, its files reclaimed, which Chroma reports as an InternalError mid-query). Ingests that follow
        each other can retire the version a retry just opened too, hence a bounded loop rather than one retry."""
        dropped = "does not exist" in str(err) or type(err).__name__ == "NotFoundError"
        return dropped or self._handle.is_stale()

    def _search(self, query: str, k: int, flt: RetrievalFilter, t0: float, as_of: date | None) -> RetrievalResult:
        opened = self._handle.get()
        snap = opened.snapshot
        window = resolve(query, self.as_of(as_of)) if self.settings.date_preference else None
        depth = max(4 * k, 20)
        dense: list[tuple[str, float]] = []
        sentence: list[tuple[str, float]] = []
        keyword: list[tuple[str, float]] = []
        qvec = None
        if self.mode in ("fused", "dense"):
            qvec = self.embedder().encode_one(query)
            dense = self._dense(opened.collection, qvec, depth, flt)
        t1 = time.perf_counter()
        if self.mode in ("fused", "keyword"):
            keyword = self._keyword(snap, query, depth, flt)
        t2 = time.perf_counter()
        if qvec is not None:
            sentence = self._sentence_dense(snap, qvec, [pid for pid, _ in dense + keyword])
        passages = self._fuse(snap, dense, sentence, keyword, k, window)
        timings = {
            "dense": (t1 - t0) * 1000,
            "keyword": (t2 - t1) * 1000,
            "retrieve": (time.perf_counter() - t0) * 1000,
        }
        return RetrievalResult(passages=passages, query_vector=qvec, timings=timings, window=window)

    def _dense(self, collection: Any, qvec: np.ndarray, depth: int, flt: RetrievalFilter) -> list[tuple[str, float]]:
        # The chunk count is fixed for a version (snapshot chunks), and chunk ids carry their paragraph id
        # ("{paragraph_id}:{piece}"), so Chroma returns distances only: 3.2 ms → 1.0 ms a query.
        n = min(depth * 2, max(self._chunk_count(collection), 1))
        got = collection.query(query_embeddings=[qvec.tolist()], n_results=n, where=flt.where(), include=["distances"])
        best: dict[str, float] = {}
        for cid, dist in zip(got["ids"][0], got["distances"][0], strict=True):
            pid = cid.rsplit(":", 1)[0]
            sim = 1.0 - float(dist)
            if sim > best.get(pid, -2.0):
                best[pid] = sim
        return sorted(best.items(), key=lambda kv: -kv[1])[:depth]

    def _chunk_count(self, collection: Any) -> int:
        name = collection.name
        if self._counts.get(name) is None:
            self._counts = {name: int(collection.count())}
        return self._counts[name]

    @staticmethod
    def _sentence_dense(snap: Snapshot, qvec: np.ndarray, candidates: list[str]) -> list[tuple[str, float]]:
        """The candidates the other lists found, re-ranked by their best sentence: a one-sentence fact is not
        diluted by the rest of its paragraph. Only their sentences are scored (no query scans the whole table);
        on the evaluation sets this ranks as well as scoring every sentence did (README, retrieval table)."""
        indices = list(dict.fromkeys(i for pid in candidates if (i := snap.by_id.get(pid)) is not None))
        if not indices:
            return []
        best = snap.best_sentences(indices, qvec)
        order = np.argsort(-best, kind="stable")
        return [(snap.table.ids[indices[i]], float(best[i])) for i in order if best[i] > -2.0]

    def _keyword(self, snap: Snapshot, query: str, depth: int, flt: RetrievalFilter) -> list[tuple[str, float]]:
        if snap.bm25 is None or not snap.paragraphs:
            return []
        tokens = keyword_tokenize([query])
        if not tokens.ids or not tokens.ids[0]:
            return []  # only stop words
        inverse = {i: t for t, i in tokens.vocab.items()}
        known = [inverse[i] for i in tokens.ids[0] if inverse[i] in snap.bm25.vocab_dict]
        if not known:
            return []
        mask = flt.mask(snap.table).astype(np.float32) if flt else None
        n = min(depth, len(snap.paragraphs))
        docs, scores = snap.bm25.retrieve([known], k=n, show_progress=False, weight_mask=mask, n_threads=1)
        return [(snap.table.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def _fuse(
        self,
        snap: Snapshot,
        dense: list[tuple[str, float]],
        sentence: list[tuple[str, float]],
        keyword: list[tuple[str, float]],
        k: int,
        window: Window | None = None,
    ) -> list[Passage]:
        cfg = self.settings
        dense_rank = {pid: (r, s) for r, (pid, s) in enumerate(dense, start=1)}
        kw_rank = {pid: (r, s) for r, (pid, s) in enumerate(keyword, start=1)}
        lists = [
            (cfg.weight_dense, [p for p, _ in dense]),
            (cfg.weight_sentence, [p for p, _ in sentence]),
            (cfg.weight_keyword, [p for p, _ in keyword]),
        ]
        fused = _rrf(lists, cfg.rrf_k)
        weights = {pid: _date_weight(snap, pid, window) for pid in fused}
        scored = {pid: score * weights[pid] for pid, score in fused.items()}
        ordered = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        passages = []
        for rank, (pid, score) in enumerate(ordered, start=1):
            paragraph = snap.paragraph(pid)
            if paragraph is None:  # the snapshot and Chroma disagree; never cite what cannot be shown
                continue
            d = dense_rank.get(pid)
            w = kw_rank.get(pid)
            passages.append(
                Passage(
                    paragraph=paragraph,
                    rank=rank,
                    score=score,
                    dense_rank=d[0] if d else None,
                    dense_score=d[1] if d else None,
                    keyword_rank=w[0] if w else None,
                    keyword_score=w[1] if w else None,
                    date_weight=weights[pid] if window else None,
                )
            )
        return passages


def _date_weight(snap: Snapshot, paragraph_id: str, window: Window | None) -> float:
    paragraph = snap.paragraph(paragraph_id)
    return 1.0 if window is None or paragraph is None else window.weight(paragraph.published)
