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

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as VEvent

from almanac.api.display_zones import display_zone
from almanac.api.plain_text import html_to_text
from almanac.db.event_queries import OccurrenceRow

PRODID = "-//Almanac//Almanac events//EN"
REFRESH = timedelta(hours=1)
"""How often calendar apps are asked to poll (REFRESH-INTERVAL, X-PUBLISHED-TTL)."""
_STATUS = {
    "scheduled": "CONFIRMED",
    "postponed": "TENTATIVE",
    "cancelled": "CANCELLED",
    "removed": "CANCELLED",
}


def occurrence_uid(occurrence_id: int, domain: str) -> str:
    """The occurrence's UID in every feed: `occ-<id>@<domain>`."""
    return f"occ-{occurrence_id}@{domain}"


def feed_calendar(rows: Sequence[OccurrenceRow], *, name: str, domain: str) -> bytes:
    """The iCalendar text of a feed of these occurrences, called `name`."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for row in rows:
        calendar.add_component(_vevent(row, domain))
    if rows:
        first = min(r.occurrence.starts_at for r in rows).date() - timedelta(days=1)
        last = max(r.occurrence.ends_at for r in rows).date() + timedelta(days=2)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    body: bytes = calendar.to_ical()
    return body


def _vevent(row: OccurrenceRow, domain: str) -> VEvent:
    o, e = row.occurrence, row.event
    vevent = VEvent()
    vevent.add("uid", occurrence_uid(o.id, domain))
    vevent.add("dtstamp", row.changed_at.astimezone(UTC))
    vevent.add("created", o.first_seen_at.astimezone(UTC))
    vevent.add("last-modified", row.changed_at.astimezone(UTC))
    vevent.add("sequence", e.sequence)
    vevent.add("summary", o.title or e.title)
    start, end = _when(o.starts_at, o.ends_at, o.all_day, o.timezone)
    vevent.add("dtstart", start)
    if end is not None:
        vevent.add("dtend", end)
    vevent.add("status", _STATUS.get(row.status, "CONFIRMED"))
    description = _description(e.description, e.price)
    if description:
        vevent.add("description", description)
    location = _location(row)
    if location:
        vevent.add("location", location)
    if e.url:
        vevent.add("url", e.url)
    if e.categories:
        vevent.add("categories", list(e.categories))
    return vevent


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


def _location(row: OccurrenceRow) -> str | None:
    venue = row.venue
    if venue is None:
        return row.event.location_text
    return ", ".join(part for part in (venue.name, venue.address) if part)
