"""Occurrences in a time window, with their events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import or_, select

from almanac.api.deps import SessionDep
from almanac.api.schemas import EventOut, OccurrenceOut, OccurrencePage
from almanac.core.domain import EventStatus
from almanac.db.models import Event, Occurrence, Source

router = APIRouter(prefix="/events", tags=["events"])

MAX_WINDOW = timedelta(days=366)


@router.get("", response_model=OccurrencePage)
def list_events(
    session: SessionDep,
    start: Annotated[datetime | None, Query(description="Window start (default: now)")] = None,
    end: Annotated[
        datetime | None, Query(description="Window end (default: 30 days after start)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> OccurrencePage:
    """Occurrences that overlap `start`–`end`, sorted by start, with their event."""
    start = _aware(start) if start else datetime.now(UTC)
    end = _aware(end) if end else start + timedelta(days=30)
    if end <= start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "end must be after start")
    if end - start > MAX_WINDOW:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "the window may span at most 366 days"
        )
    rows = session.execute(
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
    ).all()
    items = [_occurrence(o, e, slug) for o, e, slug in rows]
    return OccurrencePage(start=start, end=end, count=len(items), items=items)


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
