"""Cron schedules: checked when a source is saved, read on the source's clock."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from almanac.core.schedules import check_cron, next_cron_time, next_daily_time
from almanac.core.sources import SourceSpec

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def _spec(schedule: str | None) -> SourceSpec:
    return SourceSpec(
        slug="folk", name="Folk", kind="ical", url="https://folk.example/a.ics", schedule=schedule
    )


def test_a_five_field_expression_is_kept_tidy() -> None:
    assert _spec("  30 7  * * mon-fri ").schedule == "30 7 * * mon-fri"
    assert _spec(None).schedule is None


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("* * * *", "4 fields, not 5"),
        ("0 0 * * * *", "6 fields, not 5"),
        ("@daily", "1 fields, not 5"),
        ("61 * * * *", "out of range"),
        ("every day", "2 fields"),
        ("0 0 31 2 *", "'0 0 31 2 *' is not a cron expression"),
    ],
)
def test_a_wrong_expression_is_refused_saying_why(expression: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _spec(expression)
    assert says in str(caught.value)
    with pytest.raises(ValueError, match="is not a cron expression"):
        check_cron(expression)


def test_the_next_time_is_on_the_zone_clock() -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 07:00 in New York, 13:00 in Berlin
    assert next_cron_time("30 7 * * *", NEW_YORK, now) == datetime(
        2026, 11, 20, 7, 30, tzinfo=NEW_YORK
    )
    assert next_cron_time("30 7 * * *", BERLIN, now) == datetime(2026, 11, 21, 7, 30, tzinfo=BERLIN)


def test_the_next_time_is_strictly_after_now() -> None:
    now = datetime(2026, 11, 20, 7, 30, tzinfo=NEW_YORK)
    assert next_cron_time("30 7 * * *", NEW_YORK, now) == datetime(
        2026, 11, 21, 7, 30, tzinfo=NEW_YORK
    )
    assert next_daily_time(time(7, 30), NEW_YORK, now) == datetime(
        2026, 11, 21, 7, 30, tzinfo=NEW_YORK
    )


def test_a_weekday_schedule_skips_the_weekend() -> None:
    friday_evening = datetime(2026, 11, 20, 20, 0, tzinfo=NEW_YORK)
    assert next_cron_time("30 7 * * mon-fri", NEW_YORK, friday_evening) == datetime(
        2026, 11, 23, 7, 30, tzinfo=NEW_YORK
    )


def test_the_daily_time_keeps_the_local_hour_across_a_clock_change() -> None:
    before_change = datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK)  # summer time ends Nov 1
    following = next_daily_time(time(6, 0), NEW_YORK, before_change)
    assert following == datetime(2026, 11, 1, 6, 0, tzinfo=NEW_YORK)
    assert following.astimezone(UTC).hour == 11  # 06:00 EST, not EDT
