"""Turning parsed VEVENT groups into events with their occurrences in the window."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Component

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn, ParseProblem
from almanac.scrapers.context import ParseContext
from almanac.scrapers.text import clean_description, clean_text, web_url

SINGLE = "single"
"""Recurrence key of the one occurrence of an event that does not repeat."""

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
"""Dates outside these years are taken for mistakes, not events."""


def read_groups(
    calendar: Calendar, uids: list[str], context: ParseContext, problems: list[ParseProblem]
) -> list[EventIn]:
    """The events of `calendar`, one per UID, with the occurrences in the window."""
    components: dict[str, list[Component]] = defaultdict(list)
    for component in calendar.walk("VEVENT"):
        components[str(component.get("UID", ""))].append(component)
    expanded = _expand_all(calendar, components, context, problems)
    events = []
    for uid in uids:
        group = components.get(uid)
        if not group or uid not in expanded:
            continue
        try:
            event = _event(uid, group, expanded[uid], context)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            problems.append(ParseProblem(f"event skipped: {exc}", uid))
            continue
        if event is not None:
            events.append(event)
    return events


def _expand_all(
    calendar: Calendar,
    components: dict[str, list[Component]],
    context: ParseContext,
    problems: list[ParseProblem],
) -> dict[str, list[Instance]]:
    """Occurrences by UID; if the batch fails, each UID is expanded alone."""
    with suppress(Exception):  # the library raises many kinds; find the series that fails
        return _group(_between(calendar, context))
    timezones = list(calendar.walk("VTIMEZONE"))
    expanded: dict[str, list[Instance]] = {}
    for uid, group in components.items():
        alone = Calendar()
        for name, value in calendar.property_items(recursive=False)[1:]:
            if name != "END":
                alone.add(name, value)
        for component in [*timezones, *group]:
            alone.add_component(component)
        try:
            expanded.update(_group(_between(alone, context)) or {uid: []})
        except Exception as exc:  # the library raises many kinds
            problems.append(ParseProblem(f"event skipped, its dates cannot be read: {exc}", uid))
    return expanded


@dataclass(frozen=True, slots=True)
class Instance:
    """One expanded occurrence: its times and the VEVENT (master or override) it comes from."""

    start: date
    end: date
    source: Component


def _between(calendar: Calendar, context: ParseContext) -> list[Instance]:
    """The occurrences in the window, without copying a component for each.

    `query.between()` would return a copy of the VEVENT per occurrence, which
    costs more than the expansion itself; the series give the same occurrences
    with their source component.
    """
    query = recurring_ical_events.of(calendar, keep_recurrence_attributes=True)
    instances = []
    for series in query.series:
        for occurrence in series.between(context.window_start, context.window_end):
            instances.append(Instance(occurrence.start, occurrence.end, _source(occurrence)))
    return instances


def _source(occurrence: object) -> Component:
    component: Component = occurrence._adapter._component  # type: ignore[attr-defined]
    return component


def _group(instances: Iterable[Instance]) -> dict[str, list[Instance]]:
    grouped: dict[str, list[Instance]] = defaultdict(list)
    for instance in instances:
        grouped[str(instance.source.get("UID", ""))].append(instance)
    return grouped


def _event(
    uid: str, group: list[Component], occurrences: list[Instance], context: ParseContext
) -> EventIn | None:
    masters = [c for c in group if "RECURRENCE-ID" not in c]
    master = max(masters, key=_sequence) if masters else group[0]
    recurring = any("RRULE" in c or "RDATE" in c or "RECURRENCE-ID" in c for c in group)
    title = clean_text(master.get("SUMMARY")) or "(untitled)"
    instances = sorted(
        (_occurrence(c, recurring, context.timezone, title) for c in occurrences),
        key=lambda o: (o.starts_at, o.recurrence_key),
    )
    if recurring:
        # One instance per recurrence id: an override replaces the instance it moves.
        by_key = {o.recurrence_key: o for o in instances}
        instances = sorted(by_key.values(), key=lambda o: (o.starts_at, o.recurrence_key))
    instances = instances[: context.max_occurrences_per_series]
    if not instances:
        return None
    return EventIn(
        external_id=uid,
        title=title,
        description=clean_description(master.get("DESCRIPTION")),
        url=web_url(master.get("URL")),
        location_text=clean_text(master.get("LOCATION")),
        categories=tuple(_categories(master)),
        status=_status(master),
        sequence=_sequence(master),
        occurrences=tuple(instances),
    )


def _occurrence(instance: Instance, recurring: bool, zone: ZoneInfo, title: str) -> OccurrenceIn:
    start, end, component = instance.start, instance.end, instance.source
    if isinstance(start, datetime):
        starts_at = _aware(start, zone)
        ends_at = _aware(end, zone) if isinstance(end, datetime) else starts_at
        name = _zone_name(start.tzinfo, component) or zone.key
        all_day = False
    else:
        starts_at = datetime.combine(start, datetime.min.time(), zone)
        end_date = end if isinstance(end, date) and not isinstance(end, datetime) else start
        ends_at = datetime.combine(end_date, datetime.min.time(), zone)
        name = zone.key
        all_day = True
    for moment in (starts_at, ends_at):
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise ValueError(f"its date {moment:%Y-%m-%d} is not plausible")
    key = SINGLE
    if recurring:
        original = component.get("RECURRENCE-ID")
        key = recurrence_key(original.dt if original is not None else start, zone)
    own_title = clean_text(component.get("SUMMARY")) or "(untitled)"
    return OccurrenceIn(
        recurrence_key=key,
        starts_at=starts_at,
        ends_at=max(ends_at, starts_at),
        all_day=all_day,
        timezone=name,
        status=_status(component),
        title=None if own_title == title else own_title,
    )


def recurrence_key(value: object, zone: ZoneInfo) -> str:
    """The instance's original start: `YYYY-MM-DDTHH:MM:SSZ` in UTC, or `YYYY-MM-DD`."""
    if isinstance(value, datetime):
        return _aware(value, zone).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return SINGLE


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    """Floating times, and zones nobody could identify, are read in the source's zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=zone)
    return value


def _zone_name(zone: tzinfo | None, component: Component) -> str | None:
    if zone is None:
        return None
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    tzid = component["DTSTART"].params.get("TZID")
    return str(tzid) if tzid else None


def _status(component: Component) -> EventStatus:
    status = str(component.get("STATUS", "")).strip().upper()
    return EventStatus.CANCELLED if status == "CANCELLED" else EventStatus.SCHEDULED


def _sequence(component: Component) -> int:
    try:
        return int(component.get("SEQUENCE", 0) or 0)
    except (TypeError, ValueError):
        return 0


def _categories(component: Component) -> list[str]:
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
