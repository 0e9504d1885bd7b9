"""Reading a whole feed: decode, split, parse in batches, expand, collect problems."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

from icalendar import Calendar, Timezone
from icalendar.error import GloballyUniqueTZIDGuessed

from almanac.core.domain import EventIn, ParseProblem, ParseResult
from almanac.core.errors import ParseError
from almanac.scrapers.context import ParseContext
from almanac.scrapers.ical.events import SINGLE, read_groups
from almanac.scrapers.ical.simple import NOT_SIMPLE, read_simple
from almanac.scrapers.ical.split import CalendarText, EventGroup, split_calendars
from almanac.scrapers.text import decode_body

# Vendor-prefixed TZIDs (/mozilla.org/…/Europe/Berlin) are read as their IANA zone on
# purpose; icalendar would warn once per date.
warnings.filterwarnings("ignore", category=GloballyUniqueTZIDGuessed)

BATCH = 200
"""Event groups parsed together: large enough to amortize, small enough to bound memory."""
SIMPLE_BATCH = 1000
"""Plain events read directly between two batches handed on."""
FIRST_SIMPLE_BATCH = 125
"""The first batch is small, and each next one twice as large up to `SIMPLE_BATCH`:
storing a large feed starts soon after reading it does."""


def parse(body: bytes, url: str, context: ParseContext, *, simple: bool = True) -> ParseResult:
    """Read every VEVENT of the VCALENDARs in `body` that falls in the window.

    `simple=False` sends every event through icalendar and recurring-ical-events,
    which the direct reading of plain events must agree with.
    """
    result = ParseResult()
    for events in parse_batches(body, url, context, result.problems, simple=simple):
        result.events.extend(events)
    return result


def parse_batches(
    body: bytes,
    url: str,
    context: ParseContext,
    problems: list[ParseProblem],
    *,
    simple: bool = True,
) -> Iterator[list[EventIn]]:
    """`parse`, a batch of events at a time, so that they can be stored while the
    rest is read; the problems met are appended to `problems` as they are.

    An external id appears in one batch only: a body of several VCALENDARs,
    which may repeat a UID, comes as a single batch.
    """
    text = decode_body(body)
    head = text[:4096].lstrip().upper()
    if "BEGIN:VCALENDAR" not in head:
        kind = "an HTML page" if head.startswith("<") else "something else"
        raise ParseError(
            f"{url} is not an iCalendar file (no BEGIN:VCALENDAR; it looks like {kind})"
        )
    calendars = split_calendars(text)
    batches = (
        batch
        for calendar in calendars
        for batch in _calendar_batches(calendar, context, problems, simple=simple)
    )
    if len(calendars) == 1:
        yield from batches
    else:
        yield [event for batch in batches for event in batch]


def _calendar_batches(
    calendar: CalendarText,
    context: ParseContext,
    problems: list[ParseProblem],
    *,
    simple: bool,
) -> Iterator[list[EventIn]]:
    groups = list(calendar.groups.values())
    if simple and not any(p[:15].upper().startswith("X-WR-TIMEZONE") for p in calendar.properties):
        general: list[EventGroup] = []
        start, size = 0, FIRST_SIMPLE_BATCH
        while start < len(groups):
            events = _read_simple_groups(groups[start : start + size], context, general)
            if events:
                yield events
            start, size = start + size, min(2 * size, SIMPLE_BATCH)
        groups = general
    timezones = _usable_timezones(calendar, problems)
    for batch in _batches(groups):
        events = _read_batch(calendar, timezones, batch, context, problems)
        if events:
            yield events


def _read_simple_groups(
    groups: list[EventGroup], context: ParseContext, general: list[EventGroup]
) -> list[EventIn]:
    """Read the lone, plain VEVENTs directly; add the other groups to `general`."""
    events: list[EventIn] = []
    for group in groups:
        if len(group.blocks) == 1:
            event = read_simple(group.blocks[0], context)
            if event is not NOT_SIMPLE:
                if isinstance(event, EventIn):
                    events.append(event)
                continue
        general.append(group)
    return events


def _batches(groups: list[EventGroup]) -> Iterator[list[EventGroup]]:
    for start in range(0, len(groups), BATCH):
        yield groups[start : start + BATCH]


def _usable_timezones(calendar: CalendarText, problems: list[ParseProblem]) -> list[str]:
    """The VTIMEZONEs that icalendar can read; a broken one is dropped with a reason."""
    if not calendar.timezones:
        return []
    if _readable(calendar.text(calendar.timezones, [])):
        return calendar.timezones
    usable = []
    for block in calendar.timezones:
        try:
            Timezone.from_ical(block)
        except Exception as exc:  # icalendar raises many kinds
            tzid = _tzid(block)
            problems.append(
                ParseProblem(
                    f"time zone {tzid!r} ignored, it cannot be read: {_reason(exc)}; "
                    "its events use the zone of the same name, or the source's zone",
                    tzid,
                )
            )
            continue
        usable.append(block)
    return usable


def _read_batch(
    calendar: CalendarText,
    timezones: list[str],
    groups: list[EventGroup],
    context: ParseContext,
    problems: list[ParseProblem],
) -> list[EventIn]:
    try:
        parsed = Calendar.from_ical(calendar.text(timezones, groups))
    except Exception:  # fall back to one group at a time
        return [e for g in groups for e in _read_alone(calendar, timezones, g, context, problems)]
    return read_groups(parsed, [g.uid for g in groups], context, problems)


def _read_alone(
    calendar: CalendarText,
    timezones: list[str],
    group: EventGroup,
    context: ParseContext,
    problems: list[ParseProblem],
) -> list[EventIn]:
    try:
        parsed = Calendar.from_ical(calendar.text(timezones, [group]))
    except Exception as exc:  # icalendar raises many kinds
        reason = f"event skipped, it cannot be read: {_reason(exc)}"
        problems.append(ParseProblem(reason, group.uid))
        return []
    return read_groups(parsed, [group.uid], context, problems)


def _readable(text: str) -> bool:
    try:
        Calendar.from_ical(text)
    except Exception:  # icalendar raises many kinds; any means "check one by one"
        return False
    return True


def _tzid(block: str) -> str:
    for line in block.splitlines():
        if line.upper().startswith("TZID"):
            return line.split(":", 1)[-1].strip()
    return "?"


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


__all__ = ["SINGLE", "parse", "parse_batches"]
