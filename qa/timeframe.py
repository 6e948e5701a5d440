"""Questions as of a date: "this week", "last month", "yesterday", "in March" as a window of days.

A news question's time words are relative to when it is asked. `as_of` is that day (by default the newest article
date in the index, so an archive is questioned as of its own last day). The window is what the retriever prefers and
what an answer from an article outside it is flagged against.

The ranking rule (`Window.weight`): an article dated inside the window (or in the days after it that news of it
still appears), or undated, keeps its fused score; one outside it keeps between half and all of it, less the further
outside it lies (`0.5 + 0.5 * 0.5 ** (days outside / window length)`: three quarters one window-length out, near a
half years away). A look-alike story from another year then ranks below one of the period about as relevant, but
relevance still orders the passages when no article of the period answers; the answerer prefers the period's
articles among the spans it is sure of (`qa.extractive`). No constant here is fitted; `eval.dated_corpus` measures
the rule.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
OUTSIDE_FLOOR = 0.5  # an article of another period keeps at least half its score: relevance is not overruled
RECENT_DAYS = 30  # "recently", "lately": the last month
REPORTING_DAYS = 7  # news of an event appears up to a week after it (at most one window-length: "yesterday" + 1)
_YEAR = r"(?:19|20)\d\d"
_MONTH = "|".join(MONTHS)
_WEEKDAY = "|".join(WEEKDAYS)
# Most specific first: "last week" before "week", "in March 2024" before "in March".
PHRASES = re.compile(
    rf"\b(?P<phrase>today|yesterday|(?:this|last|past) (?:week|month|year)|recently|lately"
    rf"|(?:in |last |this |since )(?P<month>{_MONTH})(?: (?P<month_year>{_YEAR}))?|(?P<month_named>{_MONTH}) "
    rf"(?P<named_year>{_YEAR})|(?:on |last )?(?P<weekday>{_WEEKDAY})|(?:in |since |of |during )?(?P<year>{_YEAR}))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Window:
    """The days a question asks about, both ends included, and the words that said so."""

    start: date
    end: date
    phrase: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def distance(self, day: date) -> int:
        """Days between an article's `day` and the window; 0 inside it, or in the days after it that news of the
        window's events still appears (`REPORTING_DAYS`, at most the window's length)."""
        if day < self.start:
            return (self.start - day).days
        reported_until = self.end + timedelta(days=min(REPORTING_DAYS, self.days))
        return max((day - reported_until).days, 0)

    def weight(self, day: date | None) -> float:
        """The ranking rule of the module docstring: 1 inside or undated, towards a half further outside."""
        if day is None:
            return 1.0
        return float(OUTSIDE_FLOOR + (1 - OUTSIDE_FLOOR) * 0.5 ** (self.distance(day) / self.days))

    def describe(self) -> str:
        span = self.start.isoformat() if self.days == 1 else f"{self.start.isoformat()} to {self.end.isoformat()}"
        return f"{self.phrase} ({span})"


def resolve(question: str, as_of: date) -> Window | None:
    """The window the question's first time phrase names, as of `as_of`; None when it names none."""
    for match in PHRASES.finditer(question):
        window = _window(match, as_of)
        if window is not None:
            return window
    return None


def _window(match: re.Match[str], as_of: date) -> Window | None:
    phrase = match.group("phrase").lower()
    window = _dated_window(match, phrase, as_of)
    if window is not None and phrase.startswith("since "):
        return Window(window.start, max(as_of, window.start), phrase)
    return window


def _dated_window(match: re.Match[str], phrase: str, as_of: date) -> Window | None:
    month = match.group("month") or match.group("month_named")
    if month:
        year = match.group("month_year") or match.group("named_year")
        return _month_window(MONTHS[month.lower()], year, phrase, as_of)
    if match.group("weekday"):
        back = (as_of.weekday() - WEEKDAYS[match.group("weekday").lower()]) % 7 or (7 if "last" in phrase else 0)
        day = as_of - timedelta(days=back)
        return Window(day, day, phrase)
    if match.group("year"):
        year = int(match.group("year"))
        return Window(date(year, 1, 1), date(year, 12, 31), phrase)
    return _named_window(phrase, as_of)


def _named_window(phrase: str, as_of: date) -> Window | None:
    if phrase == "today":
        return Window(as_of, as_of, phrase)
    if phrase == "yesterday":
        return Window(as_of - timedelta(days=1), as_of - timedelta(days=1), phrase)
    if phrase in ("recently", "lately"):
        return Window(as_of - timedelta(days=RECENT_DAYS - 1), as_of, phrase)
    which, unit = phrase.split()
    if unit == "week":
        end = as_of - timedelta(days=7 if which == "last" else 0)
        return Window(end - timedelta(days=6), end, phrase)
    if unit == "month":
        if which == "past":
            return Window(as_of - timedelta(days=RECENT_DAYS - 1), as_of, phrase)
        first = as_of.replace(day=1)
        if which == "last":
            last = first - timedelta(days=1)
            return Window(last.replace(day=1), last, phrase)
        return Window(first, as_of, phrase)
    if which == "past":
        return Window(as_of - timedelta(days=364), as_of, phrase)
    year = as_of.year - (1 if which == "last" else 0)
    return Window(date(year, 1, 1), date(year, 12, 31) if which == "last" else as_of, phrase)


def _month_window(month: int, year_text: str | None, phrase: str, as_of: date) -> Window | None:
    """ "in March": the latest March up to `as_of` ("March 2021": that one)."""
    latest = as_of.year if month <= as_of.month else as_of.year - 1
    year = int(year_text) if year_text else latest
    last_day = calendar.monthrange(year, month)[1]
    end = min(date(year, month, last_day), as_of) if not year_text else date(year, month, last_day)
    return Window(date(year, month, 1), end, phrase)
