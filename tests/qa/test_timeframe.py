"""Time words as windows of days, as of a date, and the ranking weight an article's date gets from them."""

from __future__ import annotations

from datetime import date

import pytest

from qa.timeframe import Window, resolve

pytestmark = pytest.mark.unit

AS_OF = date(2024, 3, 13)  # a Wednesday


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("Who won this week?", date(2024, 3, 7), date(2024, 3, 13)),
        ("Who won last week?", date(2024, 2, 29), date(2024, 3, 6)),
        ("What happened yesterday?", date(2024, 3, 12), date(2024, 3, 12)),
        ("What happened today?", date(2024, 3, 13), date(2024, 3, 13)),
        ("Who resigned last month?", date(2024, 2, 1), date(2024, 2, 29)),
        ("Who resigned this month?", date(2024, 3, 1), date(2024, 3, 13)),
        ("Who was elected in March?", date(2024, 3, 1), date(2024, 3, 13)),
        ("Who was elected in May?", date(2023, 5, 1), date(2023, 5, 31)),  # the latest May up to as-of
        ("Who won in March 2021?", date(2021, 3, 1), date(2021, 3, 31)),
        ("Who won in 2021?", date(2021, 1, 1), date(2021, 12, 31)),
        ("What has changed since 2020?", date(2020, 1, 1), AS_OF),
        ("Who won last year?", date(2023, 1, 1), date(2023, 12, 31)),
        ("Who resigned recently?", date(2024, 2, 13), AS_OF),
        ("What did he say on Monday?", date(2024, 3, 11), date(2024, 3, 11)),
    ],
)
def test_time_words_resolve_to_a_window(question: str, start: date, end: date) -> None:
    window = resolve(question, AS_OF)
    assert window is not None and (window.start, window.end) == (start, end)


@pytest.mark.parametrize(
    "question", ["Who retook eastern Mosul?", "Why did the protesters march?", "Who may win the vote?"]
)
def test_no_time_words_no_window(question: str) -> None:
    assert resolve(question, AS_OF) is None


def test_weight_is_one_inside_and_for_undated_and_falls_towards_a_half_outside() -> None:
    week = Window(date(2024, 3, 7), date(2024, 3, 13), "this week")
    assert week.weight(None) == 1.0
    assert week.weight(date(2024, 3, 10)) == 1.0
    assert week.weight(date(2024, 3, 18)) == 1.0  # reported in the days after the week
    one_week_before = week.weight(date(2024, 2, 29))
    assert one_week_before == pytest.approx(0.75)
    years_before = week.weight(date(2021, 3, 10))
    assert 0.5 <= years_before < 0.5001 < one_week_before


def test_describe_names_the_phrase_and_the_days() -> None:
    assert resolve("Who won this week?", AS_OF).describe() == "this week (2024-03-07 to 2024-03-13)"  # type: ignore[union-attr]
    assert resolve("What happened yesterday?", AS_OF).describe() == "yesterday (2024-03-12)"  # type: ignore[union-attr]
