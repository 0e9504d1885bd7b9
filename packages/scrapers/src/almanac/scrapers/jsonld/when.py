"""An Event's `startDate` and `endDate` as one occurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from almanac.core.domain import EventStatus, OccurrenceIn
from almanac.scrapers.dates import DateProblem, read_when

SINGLE = "single"
"""Recurrence key of an event's one occurrence."""


@dataclass(frozen=True, slots=True)
class When:
    occurrence: OccurrenceIn
    end_problem: str | None = None
    """Why the end was ignored, when the page gives one that cannot be read."""


def read_occurrence(
    start_text: str | None, end_text: str | None, zone: ZoneInfo, status: EventStatus
) -> When:
    """The occurrence; raises `DateProblem` when the start cannot be read.

    A date-only start is an all-day occurrence. schema.org end dates are
    inclusive, so an all-day occurrence ends at midnight after its last day.
    """
    if start_text is None:
        raise DateProblem("it has no startDate")
    start = read_when(start_text, zone)
    end: date | None = None
    end_problem = None
    if end_text is not None:
        try:
            end = read_when(end_text, zone)
        except DateProblem as exc:
            end_problem = f"its endDate is ignored: {exc}"
    if isinstance(start, datetime):
        starts_at, all_day, name = start, False, _zone_name(start, zone)
        ends_at = _timed_end(end, start)
    else:
        starts_at, all_day, name = _midnight(start, zone), True, zone.key
        last_day = end.date() if isinstance(end, datetime) else end
        ends_at = _midnight((last_day or start) + timedelta(days=1), zone)
    if ends_at is not None and ends_at < starts_at:
        ends_at = None
    occurrence = OccurrenceIn(
        recurrence_key=SINGLE,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        timezone=name,
        status=status,
    )
    return When(occurrence, end_problem)


def _timed_end(end: date | None, start: datetime) -> datetime | None:
    if isinstance(end, datetime) or end is None:
        return end
    return datetime.combine(end + timedelta(days=1), time(), start.tzinfo)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)


def _zone_name(moment: datetime, zone: ZoneInfo) -> str:
    if moment.tzinfo is zone:
        return zone.key
    key = getattr(moment.tzinfo, "key", None)
    return key if isinstance(key, str) else "UTC"
