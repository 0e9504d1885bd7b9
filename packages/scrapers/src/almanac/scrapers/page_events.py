"""Events as pages describe them: identity, occurrences in the source's zone, the window."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn
from almanac.scrapers.context import ParseContext
from almanac.scrapers.ical.events import SINGLE, recurrence_key
from almanac.scrapers.page_dates import Moment
from almanac.scrapers.text import clean_description, clean_text, web_url

_CANCELLED = re.compile(r"\bcancel+ed\b", re.IGNORECASE)
_POSTPONED = re.compile(r"\bpostponed\b", re.IGNORECASE)


def status_from(*texts: str | None) -> EventStatus:
    """Cancelled or postponed when a title, badge or status field says so."""
    said = " ".join(text for text in texts if text)
    if _CANCELLED.search(said):
        return EventStatus.CANCELLED
    if _POSTPONED.search(said):
        return EventStatus.POSTPONED
    return EventStatus.SCHEDULED


def occurrence(
    start: Moment,
    end: Moment | None,
    zone: ZoneInfo,
    *,
    keyed: bool = False,
    status: EventStatus = EventStatus.SCHEDULED,
) -> OccurrenceIn:
    """One occurrence; a date without a time is all day, and an end date counts its whole day.

    `keyed` names the occurrence by its start, for events a page lists
    several performances of; a lone occurrence keeps its identity when moved.
    """
    if isinstance(start, datetime):
        starts_at = _in_zone(start, zone)
        ends_at = _in_zone(end, zone) if isinstance(end, datetime) else None
        all_day = False
    else:
        starts_at = datetime.combine(start, datetime.min.time(), zone)
        last_day = end if isinstance(end, date) and not isinstance(end, datetime) else start
        ends_at = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), zone)
        all_day = True
    if ends_at is not None and ends_at < starts_at:
        ends_at = None
    return OccurrenceIn(
        recurrence_key=recurrence_key(start, zone) if keyed else SINGLE,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        timezone=zone.key,
        status=status,
    )


def in_window(instance: OccurrenceIn, context: ParseContext) -> bool:
    end = instance.ends_at or instance.starts_at
    if end <= instance.starts_at:
        return context.window_start <= instance.starts_at < context.window_end
    return instance.starts_at < context.window_end and context.window_start < end


def stable_id(title: str, starts_at: datetime, location: str | None) -> str:
    """An id for an event without a URL of its own: what the page says about it, hashed."""
    said = "\x1f".join((title.casefold(), starts_at.isoformat(), (location or "").casefold()))
    return "almanac-" + hashlib.sha256(said.encode()).hexdigest()[:32]


def build_event(
    context: ParseContext,
    *,
    title: str | None,
    occurrences: Iterable[OccurrenceIn],
    url: str | None = None,
    description: str | None = None,
    image_url: str | None = None,
    location_text: str | None = None,
    categories: Iterable[str] = (),
    price: str | None = None,
    status: EventStatus = EventStatus.SCHEDULED,
    external_id: str | None = None,
) -> EventIn | None:
    """The event with its occurrences inside the window; None when none is left.

    Its id is `external_id`, else its URL, else `stable_id`. Texts are cleaned
    here; a cancelled event cancels its occurrences.
    """
    name = clean_text(title) or "(untitled)"
    location = clean_text(location_text)
    every = sorted(occurrences, key=lambda o: (o.starts_at, o.recurrence_key))
    if not every:
        return None
    external_id = external_id or url or stable_id(name, every[0].starts_at, location)
    if status is not EventStatus.SCHEDULED:
        every = [_with_status(o, status) for o in every]
    kept = tuple(o for o in every if in_window(o, context))[: context.max_occurrences_per_series]
    if not kept:
        return None
    return EventIn(
        external_id=external_id,
        title=name,
        occurrences=kept,
        description=clean_description(description),
        url=web_url(url),
        image_url=web_url(image_url),
        location_text=location,
        categories=tuple(dict.fromkeys(c for c in map(clean_text, categories) if c)),
        price=clean_text(price),
        status=status,
    )


def _in_zone(value: datetime, zone: ZoneInfo) -> datetime:
    return value.astimezone(zone) if value.tzinfo is not None else value.replace(tzinfo=zone)


def _with_status(instance: OccurrenceIn, status: EventStatus) -> OccurrenceIn:
    if instance.status is not EventStatus.SCHEDULED:
        return instance
    return OccurrenceIn(
        recurrence_key=instance.recurrence_key,
        starts_at=instance.starts_at,
        ends_at=instance.ends_at,
        all_day=instance.all_day,
        timezone=instance.timezone,
        status=status,
        title=instance.title,
    )
