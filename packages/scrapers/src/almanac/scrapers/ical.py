"""iCalendar feeds: VEVENTs, expanded over the window with recurring-ical-events."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar, Component, Event

from almanac.core.domain import (
    EventIn,
    EventStatus,
    OccurrenceIn,
    ParseProblem,
    ParseResult,
)
from almanac.core.errors import ParseError
from almanac.scrapers.context import ParseContext
from almanac.scrapers.text import decode_body

SINGLE = "single"
"""Recurrence key of the one occurrence of an event that does not repeat."""


def parse(body: bytes, url: str, context: ParseContext) -> ParseResult:
    """Read every VEVENT of the VCALENDARs in `body` that falls in the window."""
    text = decode_body(body)
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise ParseError(f"{url} is not an iCalendar file (no BEGIN:VCALENDAR)")
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except ValueError as exc:
        raise ParseError(f"{url} cannot be read as iCalendar: {exc}") from exc
    result = ParseResult()
    for calendar in calendars:
        _read_calendar(x_wr_timezone.to_standard(calendar), context, result)
    return result


def _read_calendar(calendar: Calendar, context: ParseContext, result: ParseResult) -> None:
    by_uid: dict[str, list[Component]] = defaultdict(list)
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("UID", "")).strip() or _derived_uid(component)
        by_uid[uid].append(component)
    for uid, components in by_uid.items():
        try:
            event = _read_event(uid, components, context)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            result.problems.append(ParseProblem(f"event skipped: {exc}", uid))
            continue
        if event is not None:
            result.events.append(event)


def _read_event(uid: str, components: list[Component], context: ParseContext) -> EventIn | None:
    master = next((c for c in components if "RECURRENCE-ID" not in c), components[0])
    recurring = len(components) > 1 or "RRULE" in master or "RDATE" in master
    calendar = Calendar()
    for component in components:
        calendar.add_component(component)
    occurrences = tuple(_occurrences(calendar, recurring, context))
    if not occurrences:
        return None
    return EventIn(
        external_id=uid,
        title=str(master.get("SUMMARY", "")).strip() or "(untitled)",
        description=_text(master.get("DESCRIPTION")),
        url=_text(master.get("URL")),
        location_text=_text(master.get("LOCATION")),
        categories=tuple(_categories(master)),
        status=_status(master),
        sequence=int(master.get("SEQUENCE", 0) or 0),
        occurrences=occurrences,
    )


def _occurrences(
    calendar: Calendar, recurring: bool, context: ParseContext
) -> Iterator[OccurrenceIn]:
    expanded = recurring_ical_events.of(calendar).between(context.window_start, context.window_end)
    for count, component in enumerate(expanded):
        if count >= context.max_occurrences_per_series:
            return
        yield _occurrence(component, recurring, context.timezone)


def _occurrence(component: Event, recurring: bool, zone: ZoneInfo) -> OccurrenceIn:
    start, end = component.start, component.end
    all_day = not isinstance(start, datetime)
    if isinstance(start, datetime):
        starts_at = _aware(start, zone)
        ends_at = _aware(end, zone) if isinstance(end, datetime) else starts_at
        name = _zone_name(start.tzinfo or zone, component) or zone.key
    else:
        starts_at = datetime.combine(start, datetime.min.time(), zone)
        ends_at = datetime.combine(end, datetime.min.time(), zone)
        name = zone.key
    key = _recurrence_key(component.get("RECURRENCE-ID").dt, zone) if recurring else SINGLE
    return OccurrenceIn(
        recurrence_key=key,
        starts_at=starts_at,
        ends_at=max(ends_at, starts_at),
        all_day=all_day,
        timezone=name,
        status=_status(component),
    )


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _recurrence_key(value: date | datetime, zone: ZoneInfo) -> str:
    if isinstance(value, datetime):
        return _aware(value, zone).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def _zone_name(zone: tzinfo, component: Component) -> str | None:
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    tzid = component["DTSTART"].params.get("TZID")
    return str(tzid) if tzid else None


def _status(component: Component) -> EventStatus:
    status = str(component.get("STATUS", "")).upper()
    return EventStatus.CANCELLED if status == "CANCELLED" else EventStatus.SCHEDULED


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _categories(component: Component) -> Iterable[str]:
    value = component.get("CATEGORIES")
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    seen: dict[str, None] = {}
    for item in values:
        for category in getattr(item, "cats", [item]):
            name = str(category).strip()
            if name:
                seen.setdefault(name, None)
    return list(seen)


def _derived_uid(component: Component) -> str:
    """A stable id for a VEVENT without UID, from what it says rather than where it is."""
    parts = [
        component.get(name).to_ical().decode() if component.get(name) is not None else ""
        for name in ("DTSTART", "SUMMARY", "LOCATION", "RECURRENCE-ID")
    ]
    return "almanac-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


__all__ = ["SINGLE", "parse"]
