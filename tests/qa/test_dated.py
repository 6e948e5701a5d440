"""News has dates, on the dated corpus the project writes (`eval.dated_corpus`): dates read from each format,
since/until in every retrieval list, "this week" as of a day, the article of the period preferred and another
period's article dated in the answer, truncated headlines and sub-heads."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from eval import dated_corpus
from eval.dated_corpus import EVENTS, PREVIEW_ID, PREVIEW_SUBHEAD, PREVIEW_TITLE, DatedQuestion, doc_id
from index.settings import Settings
from qa.assistant import Assistant
from qa.index_handle import IndexHandle
from qa.retriever import QueryError, Retriever

pytestmark = pytest.mark.integration

MARATHON = EVENTS[0]


@pytest.fixture(scope="module")
def dated(dated_settings: Settings) -> tuple[Settings, list[DatedQuestion]]:
    return dated_settings, dated_corpus.questions()


@pytest.fixture(scope="module")
def retriever(dated: tuple[Settings, list[DatedQuestion]]) -> Retriever:
    settings, _ = dated
    return Retriever(settings, IndexHandle(settings))


@pytest.fixture(scope="module")
def assistant(dated: tuple[Settings, list[DatedQuestion]], retriever: Retriever) -> Assistant:
    return Assistant(dated[0], retriever)


def test_dates_are_read_from_every_format(retriever: Retriever) -> None:
    first = {p.doc_id: p for p in retriever.snapshot.paragraphs if p.n == 1}
    sources = {p.published_from for p in first.values()}
    assert sources == {"html", "front matter", "dateline", "record"}
    for event in EVENTS:
        for which in (0, 1):
            paragraph = first[doc_id(event, which)]
            assert paragraph.published == event.days[which], paragraph.id
            assert paragraph.source == event.outlet and paragraph.title == event.headline, paragraph.id
    assert retriever.snapshot.newest_published == max(d for e in EVENTS for d in e.days)


def test_a_truncated_headline_is_the_title_and_a_subhead_is_no_paragraph(retriever: Retriever) -> None:
    preview = [p for p in retriever.snapshot.paragraphs if p.doc_id == PREVIEW_ID]
    assert preview and {p.title for p in preview} == {PREVIEW_TITLE}
    assert all(p.text not in (PREVIEW_TITLE, PREVIEW_SUBHEAD) for p in preview)
    assert preview[0].published == date(2024, 4, 10) and preview[0].source == "Northfield Courier"


@pytest.mark.parametrize("mode", ["dense", "keyword", "fused"])
def test_since_and_until_filter_every_list(dated: tuple[Settings, list[DatedQuestion]], mode: str) -> None:
    settings, _ = dated
    retriever = Retriever(settings, IndexHandle(settings), mode=mode)  # type: ignore[arg-type]
    since, until = date(2021, 1, 1), date(2021, 12, 31)
    passages = retriever.retrieve("Who won the Northfield Marathon?", k=10, filters={"since": "2021-01-01",
                                                                                     "until": until})  # fmt: skip
    assert passages, mode
    assert all(p.paragraph.published and since <= p.paragraph.published <= until for p in passages), mode
    unfiltered = retriever.retrieve("Who won the Northfield Marathon?", k=10)
    assert any(p.paragraph.published and p.paragraph.published.year != 2021 for p in unfiltered), mode


def test_an_empty_or_malformed_date_range_is_refused(retriever: Retriever) -> None:
    with pytest.raises(QueryError, match="date range is empty"):
        retriever.retrieve("marathon", filters={"since": "2024-02-01", "until": "2024-01-01"})
    with pytest.raises(QueryError, match="needs a date"):
        retriever.retrieve("marathon", filters={"since": "last tuesday"})


def test_this_week_is_resolved_against_as_of(retriever: Retriever) -> None:
    as_of = date(2024, 4, 16)
    result = retriever.search("Who won the Northfield Marathon this week?", as_of=as_of)
    assert result.window is not None and (result.window.start, result.window.end) == (date(2024, 4, 10), as_of)
    assert result.passages[0].paragraph.doc_id == doc_id(MARATHON, 1)
    assert result.passages[0].date_weight == 1.0
    # By default "this week" is counted back from the newest article in the index.
    default = retriever.search("Who won the Northfield Marathon this week?")
    assert default.window is not None and default.window.end == retriever.snapshot.newest_published


@pytest.mark.parametrize("which", [0, 1])
def test_the_article_of_the_period_answers_and_the_look_alike_is_not_cited(assistant: Assistant, which: int) -> None:
    as_of = MARATHON.days[which] + timedelta(days=2)
    answer = assistant.ask("Who won the Northfield Marathon this week?", as_of=as_of)
    assert answer.short_answer == MARATHON.names[which]
    assert [c.doc_id for c in answer.citations] == [doc_id(MARATHON, which)]
    assert answer.citations[0].published == MARATHON.days[which]
    assert not answer.conflicting and not any(part.kind == "dated" for part in answer.parts)


def test_an_answer_from_outside_the_period_says_when_it_was_reported(assistant: Assistant) -> None:
    as_of = MARATHON.days[1] + timedelta(days=365)
    answer = assistant.ask("Who won the Northfield Marathon this week?", as_of=as_of)
    assert not answer.refused
    dated = [part for part in answer.parts if part.kind == "dated"]
    assert len(dated) == 1
    lead = answer.citations[0]
    assert dated[0].text == lead.published.isoformat()  # type: ignore[union-attr]
    assert f"Reported on {lead.published}" in answer.text and "outside the period asked about" in answer.text


def test_without_the_date_rule_the_look_alike_competes(dated: tuple[Settings, list[DatedQuestion]]) -> None:
    """The rule is what makes the difference: measured on the whole corpus, with and without it."""
    settings, items = dated
    results = {}
    for prefer in (True, False):
        s = settings.model_copy(update={"date_preference": prefer})
        results[prefer] = dated_corpus.measure(Assistant(s, Retriever(s, IndexHandle(s))), items)
    assert results[True]["answer"] >= 0.9 and results[True]["look_alike_cited"] <= 0.1
    assert results[True]["outside_dated"] >= 0.9
    assert results[False]["answer"] < results[True]["answer"]
    assert results[False]["outside_dated"] == 0.0


def test_the_bundled_articles_stay_undated(articles_settings: Settings, tmp_path: Path) -> None:
    retriever = Retriever(articles_settings, IndexHandle(articles_settings))
    assert all(p.published is None for p in retriever.snapshot.paragraphs)
    assert retriever.snapshot.newest_published is None
    result = retriever.search("What happened in Mosul this week?")
    assert result.window is not None and all(p.date_weight == 1.0 for p in result.passages)
