"""An article's publication date: read from what the article says about itself, never from the file system.

Where a date comes from is kept beside it (`DateSource`), because a date read from HTML metadata is surer than one
read from a dateline. A date is a calendar day: "this week" and "in March" are resolved in days (`qa.timeframe`).
An article with no readable date keeps `None`, shown as "date unknown".
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Literal

DateSource = Literal["", "html", "front matter", "dateline", "record"]
EARLIEST_YEAR, LATEST_YEAR = 1800, 2200  # a "date" outside these is a misread number, not a publication date

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# "March 3, 2017", "3 March 2017", "Mar. 3 2017", "2017-03-03": the forms a dateline or a byline prints.
DATE_PATTERN = (
    rf"(?i:\b(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})\b)"
)
DATE_IN_TEXT = re.compile(DATE_PATTERN)


def parse_date(value: object) -> date | None:
    """A calendar day from an ISO string, a datetime, a date, a Unix timestamp or a written date ("3 March 2017");
    None when `value` holds no plausible date."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _plausible(value.date())
    if isinstance(value, date):
        return _plausible(value)
    if isinstance(value, int | float):
        try:
            return _plausible(datetime.fromtimestamp(float(value), tz=UTC).date())
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return _plausible(datetime.fromisoformat(text.replace("Z", "+00:00")).date())
    except ValueError:
        pass
    from dateutil import parser as date_parser

    try:
        parsed = date_parser.parse(text, default=datetime(1, 1, 1))
    except (ValueError, OverflowError):
        return None
    if parsed.year == 1:  # no year in the text: not a publication date
        return None
    return _plausible(parsed.date())


def _plausible(day: date) -> date | None:
    return day if EARLIEST_YEAR <= day.year <= LATEST_YEAR else None


def find_date(text: str) -> tuple[date, int, int] | None:
    """The first written date in `text` (a dateline, a byline), with its offsets."""
    for match in DATE_IN_TEXT.finditer(text):
        day = parse_date(match.group(0).replace(".", ""))
        if day is not None:
            return day, match.start(), match.end()
    return None


def day_number(day: date) -> int:
    """20170303 for 3 March 2017: a day as a number that sorts and compares like the day (Chroma's `$gte`)."""
    return day.year * 10_000 + day.month * 100 + day.day


def day_iso(number: object) -> str:
    """The ISO day of a `day_number`, "" for none."""
    if not isinstance(number, int) or number <= 0:
        return ""
    return date(number // 10_000, number // 100 % 100, number % 100).isoformat()
