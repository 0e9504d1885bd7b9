"""Occurrences in a time window, with their events."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import or_, select, tuple_

from almanac.api.deps import SessionDep
from almanac.api.schemas import EventOut, OccurrenceOut, OccurrencePage
from almanac.core.domain import EventStatus
from almanac.db.models import Event, Occurrence, Source

router = APIRouter(prefix="/events", tags=["events"])

MAX_WINDOW = timedelta(days=366)
SINGLE_OCCURRENCE = "single"
"""The recurrence key of an event that does not repeat."""


@router.get("", response_model=OccurrencePage)
def list_events(
    session: SessionDep,
    start: Annotated[datetime | None, Query(description="Window start (default: now)")] = None,
    end: Annotated[
        datetime | None, Query(description="Window end (default: 30 days after start)")
    ] = None,
    source: Annotated[
        list[str] | None, Query(description="Only these sources (slugs; repeat for several)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> OccurrencePage:
    """Occurrences that overlap `start`–`end`, sorted by start, with their event.

    Pages are keyset-paginated: pass a page's `next_cursor` to get the next one.
    """
    start = _aware(start) if start else datetime.now(UTC)
    end = _aware(end) if end else start + timedelta(days=30)
    if end <= start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "end must be after start")
    if end - start > MAX_WINDOW:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "the window may span at most 366 days"
        )
    query = (
        select(Occurrence, Event, Source.slug)
        .join(Event, Occurrence.event_id == Event.id)
        .join(Source, Event.source_id == Source.id)
        .where(
            Occurrence.starts_at < end,
            or_(Occurrence.ends_at > start, Occurrence.starts_at >= start),
            Occurrence.status != EventStatus.REMOVED.value,
            Event.status != EventStatus.REMOVED.value,
        )
        .order_by(Occurrence.starts_at, Occurrence.id)
        .limit(limit)
    )
    if source:
        known = set(session.scalars(select(Source.slug).where(Source.slug.in_(source))))
        unknown = sorted(set(source) - known)
        if unknown:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown source {', '.join(unknown)!s}"
            )
        query = query.where(Source.slug.in_(source))
    if cursor:
        after_start, after_id = decode_cursor(cursor)
        query = query.where(tuple_(Occurrence.starts_at, Occurrence.id) > (after_start, after_id))
    rows = session.execute(query).all()
    items = [_occurrence(o, e, slug) for o, e, slug in rows]
    next_cursor = (
        encode_cursor(rows[-1][0].starts_at, rows[-1][0].id) if len(rows) == limit else None
    )
    return OccurrencePage(
        start=start, end=end, count=len(items), items=items, next_cursor=next_cursor
    )


def encode_cursor(starts_at: datetime, occurrence_id: int) -> str:
    raw = f"{starts_at.astimezone(UTC).isoformat()}|{occurrence_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, occurrence_id = raw.split("|")
        return datetime.fromisoformat(when), int(occurrence_id)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "cursor is not one this API gave out"
        ) from None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _occurrence(o: Occurrence, e: Event, source_slug: str) -> OccurrenceOut:
    zone = _zone(o.timezone)
    starts_at, ends_at = o.starts_at.astimezone(zone), o.ends_at.astimezone(zone)
    start_date: date | None = starts_at.date() if o.all_day else None
    end_date: date | None = ends_at.date() if o.all_day else None
    status_ = EventStatus.CANCELLED.value if e.status == EventStatus.CANCELLED else o.status
    return OccurrenceOut(
        id=o.id,
        recurrence_id=None if o.recurrence_key == SINGLE_OCCURRENCE else o.recurrence_key,
        title=o.title or e.title,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=o.all_day,
        start_date=start_date,
        end_date=end_date,
        timezone=o.timezone,
        status=status_,
        previous_starts_at=o.previous_starts_at,
        event=EventOut(
            id=e.id,
            source=source_slug,
            external_id=e.external_id,
            title=e.title,
            description=e.description,
            url=e.url,
            image_url=e.image_url,
            location=e.location_text,
            categories=list(e.categories),
            price=e.price,
            status=e.status,
        ),
    )


@lru_cache(maxsize=512)
def _zone(name: str) -> tzinfo:
    """The occurrence's zone for display; UTC when its name is not an IANA zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
