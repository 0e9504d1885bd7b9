"""Occurrences as an iCalendar feed (RFC 5545) that calendar apps subscribe to.

Each occurrence is its own VEVENT. Its UID comes from the occurrence's id,
which never changes while the occurrence exists, so a calendar updates the
entry it has rather than adding another; SEQUENCE is its event's, which
grows with every change. Cancelled and removed occurrences are exported
with STATUS:CANCELLED, so that calendars drop them. Times carry their zone
(TZID, with a VTIMEZONE for each zone used) or are UTC; all-day ones are
dates. DTSTAMP is when the occurrence or its event last changed, so the
same rows always give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone

from almanac.api.display_zones import display_zone
from almanac.api.plain_text import html_to_text
from almanac.db.event_queries import FeedRow

PRODID = "-//Almanac//Almanac events//EN"
REFRESH = timedelta(hours=1)
"""How often calendar apps are asked to poll (REFRESH-INTERVAL, X-PUBLISHED-TTL)."""
_REFRESH = f"PT{REFRESH // timedelta(hours=1)}H"
_STATUS = {
    "scheduled": "CONFIRMED",
    "postponed": "TENTATIVE",
    "cancelled": "CANCELLED",
    "removed": "CANCELLED",
}


def occurrence_uid(occurrence_id: int, domain: str) -> str:
    """The occurrence's UID in every feed: `occ-<id>@<domain>`."""
    return f"occ-{occurrence_id}@{domain}"


def feed_calendar(rows: Sequence[FeedRow], *, name: str, domain: str) -> bytes:
    """The iCalendar text of a feed of these occurrences, called `name`.

    The VEVENTs are written here, line by line: a feed holds thousands, and
    building each as icalendar components costs a hundred times more. What
    belongs to the event (its description, location, link, categories) is
    written once for all its occurrences. The VTIMEZONEs, one per zone used,
    come from icalendar.
    """
    head = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_text(name)}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{_REFRESH}",
        f"X-PUBLISHED-TTL:{_REFRESH}",
    ]
    parts = ["".join(_fold(line) for line in head)]
    event_parts: dict[int, str] = {}
    zones: set[str] = set()
    for row in rows:
        tail = event_parts.get(row.event_id)
        if tail is None:
            tail = event_parts[row.event_id] = _event_lines(row)
        parts.append(_occurrence_lines(row, domain, zones))
        parts.append(tail)
    if zones:
        first = min(r.starts_at for r in rows).date() - timedelta(days=1)
        last = max(r.ends_at for r in rows).date() + timedelta(days=2)
        parts.insert(1, "".join(_vtimezone(zone, first, last) for zone in sorted(zones)))
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode()


def _occurrence_lines(row: FeedRow, domain: str, zones: set[str]) -> str:
    """The VEVENT's opening lines: those of the occurrence itself, folded."""
    changed = _utc(row.changed_at)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_text(occurrence_uid(row.occurrence_id, domain))}",
        f"DTSTAMP:{changed}",
        f"CREATED:{_utc(row.first_seen_at)}",
        f"LAST-MODIFIED:{changed}",
        f"SEQUENCE:{row.sequence}",
        f"SUMMARY:{_text(row.occurrence_title or row.title)}",
    ]
    start, end = _when(row.starts_at, row.ends_at, row.all_day, row.timezone)
    lines.append(_moment("DTSTART", start, zones))
    if end is not None:
        lines.append(_moment("DTEND", end, zones))
    lines.append(f"STATUS:{_STATUS.get(row.status, 'CONFIRMED')}")
    return "".join(_fold(line) for line in lines)


def _event_lines(row: FeedRow) -> str:
    """The VEVENT's closing lines: those its event gives every occurrence, folded."""
    lines = []
    description = _description(row.description, row.price)
    if description:
        lines.append(f"DESCRIPTION:{_text(description)}")
    location = _location(row)
    if location:
        lines.append(f"LOCATION:{_text(location)}")
    if row.url:
        lines.append(f"URL:{_CONTROL.sub('', row.url)}")
    if row.categories:
        lines.append("CATEGORIES:" + ",".join(_text(c) for c in row.categories))
    lines.append("END:VEVENT")
    return "".join(_fold(line) for line in lines)


def _when(
    starts_at: datetime, ends_at: datetime, all_day: bool, zone_name: str
) -> tuple[date | datetime, date | datetime | None]:
    """DTSTART and DTEND (None when the occurrence has no length) in the occurrence's zone."""
    zone = display_zone(zone_name)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    if all_day:
        first, after = start.date(), end.date()
        return first, after if after > first else None
    if not isinstance(zone, ZoneInfo) or zone.key in ("UTC", "Etc/UTC"):
        start, end = start.astimezone(UTC), end.astimezone(UTC)
    return start, end if end > start else None


def _description(html: str | None, price: str | None) -> str:
    parts = [html_to_text(html)] if html else []
    if price:
        parts.append(f"Price: {price}")
    return "\n\n".join(p for p in parts if p)


def _location(row: FeedRow) -> str | None:
    if row.venue_name is None:
        return row.location_text
    return ", ".join(part for part in (row.venue_name, row.venue_address) if part)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_SPECIALS = re.compile(r"[\\;,\n]")
_ESCAPED = {"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"}
_PARAMETER_SPECIALS = re.compile(r'[";:,]')


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newline escaped."""
    value = _CONTROL.sub(_keep_newline, value.replace("\r\n", "\n"))
    return _TEXT_SPECIALS.sub(lambda m: _ESCAPED[m.group()], value)


def _keep_newline(match: re.Match[str]) -> str:
    return "\n" if match.group() == "\n" else ""


def _utc(moment: datetime) -> str:
    return _local(moment.astimezone(UTC)) + "Z"


def _local(m: datetime) -> str:
    """The date and time as written (`20270120T190000`), whatever its zone."""
    return f"{m.year:04}{m.month:02}{m.day:02}T{m.hour:02}{m.minute:02}{m.second:02}"


def _moment(name: str, value: date | datetime, zones: set[str]) -> str:
    """DTSTART or DTEND: a date, a UTC time, or a local time with its zone's TZID."""
    if not isinstance(value, datetime):
        return f"{name};VALUE=DATE:{value:%Y%m%d}"
    zone = value.tzinfo
    if not isinstance(zone, ZoneInfo) or zone.key in ("UTC", "Etc/UTC"):
        return f"{name}:{_utc(value)}"
    zones.add(zone.key)
    tzid = zone.key if not _PARAMETER_SPECIALS.search(zone.key) else f'"{zone.key}"'
    return f"{name};TZID={tzid}:{_local(value)}"


def _fold(line: str) -> str:
    """The line and its CRLF, folded into pieces of at most 75 octets (RFC 5545 3.1),
    never inside a character."""
    if len(line) <= 75 and line.isascii():
        return line + "\r\n"
    data = line.encode()
    if len(data) <= 75:
        return line + "\r\n"
    pieces, start, room = [], 0, 75
    while start < len(data):
        end = min(start + room, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # inside a character
            end -= 1
        pieces.append(data[start:end].decode())
        start, room = end, 74  # a continuation line starts with a space
    return "\r\n ".join(pieces) + "\r\n"


@lru_cache(maxsize=64)
def _vtimezone(zone: str, first: date, last: date) -> str:
    """The VTIMEZONE of an IANA zone, covering `first` to `last`."""
    block: bytes = Timezone.from_tzid(zone, first_date=first, last_date=last).to_ical()
    return block.decode()
