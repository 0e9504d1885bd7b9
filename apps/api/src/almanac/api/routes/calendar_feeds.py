"""Subscribable iCalendar feeds: every event, one source's, one venue's.

A feed takes the event list's filters; its window defaults to 30 days back
and 365 ahead. Cancelled and removed occurrences stay in it, as
STATUS:CANCELLED, for 30 days after they were cancelled or removed, so that
subscribed calendars drop them; then they are left out. Each response
carries an ETag and a Last-Modified computed in one aggregate query before
the body is built, and a client that sends either back gets a 304 when
nothing in the feed changed; one that does not gets the body built last for
the same URL and ETag, when this process still has it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from almanac.api.deps import SessionDep, SettingsDep
from almanac.api.error_responses import errors
from almanac.api.event_filters import (
    EventFilterParams,
    Window,
    event_filter_params,
    resolve_filters,
)
from almanac.api.feed_cache import feed_cache
from almanac.api.ical_export import feed_calendar
from almanac.db.event_queries import (
    STATUSES,
    FeedVersion,
    OccurrenceFilters,
    feed_rows,
    feed_version,
)
from almanac.db.models import Source, Venue

router = APIRouter(tags=["calendar feeds"])

FEED_WINDOW = Window(
    back=timedelta(days=30), ahead=timedelta(days=365), longest=timedelta(days=395)
)
"""From 30 days back to 365 ahead (or from `start`, as long), at most 395 days long."""
ENDED_KEPT = timedelta(days=30)
"""How long a cancelled or removed occurrence stays in feeds, marked cancelled."""
CONTENT_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "public, max-age=300"
FORMAT_VERSION = "2"
"""Part of every ETag: raise it when the same rows come to give different bytes."""

Params = Annotated[EventFilterParams, Depends(event_filter_params)]
_FEED_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {
            "text/calendar": {
                "schema": {"type": "string"},
                "example": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n…\r\nEND:VCALENDAR\r\n",
            }
        },
        "description": "An iCalendar feed",
    },
    **errors(304, 422, e422="Bad filters"),
}


@router.get("/events.ics", response_class=Response, responses=_FEED_RESPONSES)
def all_events_feed(
    request: Request, session: SessionDep, settings: SettingsDep, params: Params
) -> Response:
    """Every event as an iCalendar feed, narrowed by the same filters as `GET /events`."""
    filters = resolve_filters(session, params, FEED_WINDOW)
    return _feed(
        request, session, filters, params, settings.calendar_name, settings.calendar_domain
    )


@router.get(
    "/sources/{slug}/events.ics",
    response_class=Response,
    responses={**_FEED_RESPONSES, **errors(404, e404="No such source")},
)
def source_feed(
    slug: str, request: Request, session: SessionDep, settings: SettingsDep, params: Params
) -> Response:
    """One source's events as an iCalendar feed."""
    source = session.scalar(select(Source).where(Source.slug == slug))
    if source is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no source {slug!r}")
    filters = resolve_filters(session, params, FEED_WINDOW, source_ids=[source.id])
    name = f"{settings.calendar_name}: {source.name}"
    return _feed(request, session, filters, params, name, settings.calendar_domain)


@router.get(
    "/venues/{slug}/events.ics",
    response_class=Response,
    responses={**_FEED_RESPONSES, **errors(404, e404="No such venue")},
)
def venue_feed(
    slug: str, request: Request, session: SessionDep, settings: SettingsDep, params: Params
) -> Response:
    """One venue's events, from every source, as an iCalendar feed."""
    venue = session.scalar(select(Venue).where(Venue.slug == slug))
    if venue is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no venue {slug!r}")
    filters = resolve_filters(session, params, FEED_WINDOW, venue_ids=[venue.id])
    name = f"{settings.calendar_name}: {venue.name}"
    return _feed(request, session, filters, params, name, settings.calendar_domain)


def _feed(
    request: Request,
    session: Session,
    filters: OccurrenceFilters,
    params: EventFilterParams,
    name: str,
    domain: str,
) -> Response:
    filters = replace(
        filters,
        statuses=params.statuses or STATUSES,
        ended_since=datetime.now(UTC) - ENDED_KEPT,
    )
    version = feed_version(session, filters)
    headers = {"ETag": _etag(version, name, domain), "Cache-Control": CACHE_CONTROL}
    if version.last_changed is not None:
        headers["Last-Modified"] = format_datetime(
            version.last_changed.astimezone(UTC), usegmt=True
        )
    if _not_modified(request, headers["ETag"], version.last_changed):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    url = str(request.url)
    body = feed_cache.get(url, headers["ETag"])
    if body is None:
        body = feed_calendar(feed_rows(session, filters), name=name, domain=domain)
        feed_cache.put(url, headers["ETag"], body)
    return Response(body, media_type=CONTENT_TYPE, headers=headers)


def _etag(version: FeedVersion, name: str, domain: str) -> str:
    changed = version.last_changed.isoformat() if version.last_changed else "-"
    key = (
        f"{FORMAT_VERSION}|{version.count}|{changed}|{version.id_sum}|{version.sequence_sum}"
        f"|{name}|{domain}"
    )
    return f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'


def _not_modified(request: Request, etag: str, last_changed: datetime | None) -> bool:
    """What the client sent back says it has this feed (If-None-Match wins, as RFC 9110 says)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None or last_changed is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_changed.replace(microsecond=0) <= since
