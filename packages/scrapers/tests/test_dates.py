"""Dates as pages write them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from almanac.scrapers.dates import DateProblem, read_when

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-10-31T21:00:00-04:00", datetime(2015, 10, 31, 21, tzinfo=NEW_YORK)),
        ("2015-10-31T21:00:00-0400", datetime(2015, 10, 31, 21, tzinfo=NEW_YORK)),
        ("2015-10-31T21:00", datetime(2015, 10, 31, 21, tzinfo=NEW_YORK)),
        ("2015-10-31 21:00", datetime(2015, 10, 31, 21, tzinfo=NEW_YORK)),
        ("2015/10/31", date(2015, 10, 31)),
        ("2015-10-31", date(2015, 10, 31)),
        ("October 31, 2015 9:00 pm", datetime(2015, 10, 31, 21, tzinfo=NEW_YORK)),
        ("Sat, Oct 31 2015 at 9pm", datetime(2015, 10, 31, 21, tzinfo=NEW_YORK)),
    ],
)
def test_dates_are_read_in_the_source_zone(text: str, expected: date) -> None:
    assert read_when(text, NEW_YORK) == expected


@pytest.mark.parametrize(
    ("text", "reason"), [("", "empty"), ("soon-ish", "is not a date"), ("0001-01-01", "plausible")]
)
def test_unreadable_dates_have_a_reason(text: str, reason: str) -> None:
    with pytest.raises(DateProblem, match=reason):
        read_when(text, NEW_YORK)
