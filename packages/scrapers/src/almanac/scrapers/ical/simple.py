"""A direct reading of the most common VEVENT: one block, no recurrence, plain times.

Most events in real feeds are single, dated VEVENTs. Reading those line by line
is several times faster than building icalendar components and asking
recurring-ical-events to expand a series of one. The reading is strict: anything
it does not fully understand (recurrence, unknown zone names, odd values) is
left to the general path, and a test checks that both give the same events.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from icalendar.parser import split_on_unescaped_comma, unescape_backslash
from icalendar.prop import vDuration

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn
from almanac.scrapers.context import ParseContext
from almanac.scrapers.ical.events import EARLIEST_YEAR, LATEST_YEAR, SINGLE
from almanac.scrapers.ical.split import unfold
from almanac.scrapers.text import clean_description, clean_text, web_url

_CONTENT_LINE = re.compile(r'^([A-Za-z0-9-]+)((?:;[^:;"]*(?:"[^"]*"[^:;"]*)*)*):(.*)$')
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_TIME = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$")
_RECURRENCE = frozenset({"RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "EXRULE"})
_TIME_PARAMS = frozenset({"TZID", "VALUE"})

_UTC = ZoneInfo("UTC")
NOT_SIMPLE = object()
"""Returned when the block must go through the general path."""


def read_simple(block: str, context: ParseContext) -> EventIn | object | None:
    """The event of a lone VEVENT block, None if it lies outside the window, or NOT_SIMPLE."""
    properties: dict[str, tuple[dict[str, str], str]] = {}
    categories: list[str] = []
    for line in unfold(block).splitlines()[1:-1]:
        match = _CONTENT_LINE.match(line)
        if match is None:
            return NOT_SIMPLE
        name = match.group(1).upper()
        if name in _RECURRENCE or name == "BEGIN":
            return NOT_SIMPLE
        if name == "CATEGORIES":
            categories.extend(split_on_unescaped_comma(match.group(3)))
            continue
        if name in properties:
            if name in ("DTSTART", "DTEND", "DURATION", "UID"):
                return NOT_SIMPLE
            continue
        properties[name] = (_params(match.group(2)), unescape_backslash(match.group(3)))
    try:
        return _event(properties, categories, context)
    except (ValueError, KeyError, OverflowError, TypeError):
        return NOT_SIMPLE


def _event(
    properties: dict[str, tuple[dict[str, str], str]],
    categories: list[str],
    context: ParseContext,
) -> EventIn | object | None:
    if "DTSTART" not in properties or "UID" not in properties:
        return NOT_SIMPLE
    start = _moment(*properties["DTSTART"])
    if start is None:
        return NOT_SIMPLE
    if "DTEND" in properties:
        end = _moment(*properties["DTEND"])
        if end is None or type(end) is not type(start) or _floating(end) != _floating(start):
            return NOT_SIMPLE
    elif "DURATION" in properties:
        end = start + vDuration.from_ical(properties["DURATION"][1])  # type: ignore[no-untyped-call]
    elif isinstance(start, datetime):
        end = start
    else:
        end = start + timedelta(days=1)
    if end < start:
        return NOT_SIMPLE
    if not _in_window(start, end, context):
        return None
    zone = context.timezone
    if isinstance(start, datetime) and isinstance(end, datetime):
        starts_at, ends_at, all_day = _aware(start, zone), _aware(end, zone), False
        zone_name = getattr(starts_at.tzinfo, "key", None) or zone.key
    else:
        starts_at = datetime.combine(start, datetime.min.time(), zone)
        ends_at = datetime.combine(end, datetime.min.time(), zone)
        zone_name, all_day = zone.key, True
    for moment in (starts_at, ends_at):
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            return NOT_SIMPLE
    title = clean_text(_text(properties, "SUMMARY")) or "(untitled)"
    status = (
        EventStatus.CANCELLED
        if _value(properties, "STATUS").strip().upper() == "CANCELLED"
        else EventStatus.SCHEDULED
    )
    sequence = _value(properties, "SEQUENCE").strip()
    return EventIn(
        external_id=properties["UID"][1].strip(),
        title=title,
        description=clean_description(_text(properties, "DESCRIPTION")),
        url=web_url(_value(properties, "URL") or None),
        location_text=clean_text(_text(properties, "LOCATION")),
        categories=tuple(dict.fromkeys(c.strip() for c in categories if c.strip())),
        status=status,
        sequence=int(sequence) if sequence.lstrip("-").isdigit() else 0,
        occurrences=(
            OccurrenceIn(
                recurrence_key=SINGLE,
                starts_at=starts_at,
                ends_at=ends_at,
                all_day=all_day,
                timezone=zone_name,
                status=status,
            ),
        ),
    )


def _moment(params: dict[str, str], value: str) -> date | datetime | None:
    """A DATE or DATE-TIME value (naive when floating); None when the general path should judge."""
    if set(params) - _TIME_PARAMS:
        return None
    kind = params.get("VALUE", "").upper()
    value = value.strip()
    if kind == "DATE" or (not kind and len(value) == 8):
        match = _DATE.match(value)
        if match is None or "TZID" in params:
            return None
        return date(*map(int, match.groups()))
    if kind not in ("", "DATE-TIME"):
        return None
    match = _DATE_TIME.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = map(int, match.groups()[:6])
    if match.group(7):
        if "TZID" in params:
            return None
        return datetime(year, month, day, hour, minute, second, tzinfo=_UTC)
    tzid = params.get("TZID")
    if tzid is None:
        return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - floating
    known = _zone(tzid)
    if known is None:
        return None
    return datetime(year, month, day, hour, minute, second, tzinfo=known)


def _floating(value: date) -> bool:
    return isinstance(value, datetime) and value.tzinfo is None


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _in_window(start: date, end: date, context: ParseContext) -> bool:
    """recurring-ical-events' rule: dates count from midnight in the window's zone."""
    span_zone = context.window_start.tzinfo
    event_start, event_end = _comparable(start, span_zone), _comparable(end, span_zone)
    if event_start == event_end:
        return context.window_start <= event_start < context.window_end
    return event_start < context.window_end and context.window_start < event_end


def _comparable(value: date, zone: object) -> datetime:
    """Dates and floating times are compared as if in the window's zone."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)  # type: ignore[arg-type]
    return datetime(value.year, value.month, value.day, tzinfo=zone)  # type: ignore[arg-type]


def _params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in re.findall(r';([^=;:"]+)=("[^"]*"|[^;:]*)', text):
        params[part[0].upper()] = part[1].strip('"')
    return params


def _value(properties: dict[str, tuple[dict[str, str], str]], name: str) -> str:
    found = properties.get(name)
    return found[1] if found else ""


def _text(properties: dict[str, tuple[dict[str, str], str]], name: str) -> str | None:
    found = properties.get(name)
    return found[1] if found else None


@lru_cache(maxsize=256)
def _zone(tzid: str) -> ZoneInfo | None:
    return ZoneInfo(tzid) if tzid in _known_zones() else None


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())
