"""When a source runs: its own cron expression, or else the city's daily run.

A schedule is a five-field cron expression (minute, hour, day of month,
month, day of week), read on the clock of the source's time zone, or else of
the city's (`ALMANAC_TIMEZONE`): `30 7 * * mon-fri` is 07:30 on weekdays
there, summer time or not.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

CRON_FIELDS = 5


def check_cron(expression: str) -> str:
    """The expression, tidied; raises ValueError saying what is wrong with it.

    An expression that names no time at all (`0 0 31 2 *`) is wrong too.
    """
    tidy = " ".join(expression.split())
    fields = len(tidy.split(" ")) if tidy else 0
    if fields != CRON_FIELDS:
        raise ValueError(
            f"{expression!r} is not a cron expression: it has {fields} fields, "
            "not 5 (minute hour day-of-month month day-of-week, e.g. '30 7 * * mon-fri')"
        )
    try:
        croniter(tidy).get_next(datetime)
    except (CroniterBadCronError, CroniterBadDateError, ValueError) as exc:
        raise ValueError(f"{expression!r} is not a cron expression: {exc}") from None
    return tidy


def next_cron_time(expression: str, zone: ZoneInfo, after: datetime) -> datetime:
    """The first time strictly after `after` that `expression` names, on `zone`'s clock."""
    following: datetime = croniter(expression, after.astimezone(zone)).get_next(datetime)
    return following


def next_daily_time(at: time, zone: ZoneInfo, after: datetime) -> datetime:
    """The first time strictly after `after` that `zone`'s clock shows `at`."""
    local = after.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate
