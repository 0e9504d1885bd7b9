"""The filters the event list and the calendar feeds share, read from the query string.

Every list filter may be repeated (`source=a&source=b`) or comma-separated
(`source=a,b`). Unknown sources, venues and statuses are refused with a 422
naming them, so that a mistyped subscription does not quietly show nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import HTTPException, Query, status
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from almanac.db.event_queries import SHOWN_BY_DEFAULT, STATUSES, OccurrenceFilters, ids_of_slugs
from almanac.db.models import Source, Venue


@dataclass(frozen=True, slots=True)
class EventFilterParams:
    """The filters as given, not yet checked against the database."""

    start: datetime | None
    end: datetime | None
    sources: list[str]
    venues: list[str]
    categories: list[str]
    statuses: list[str]
    free: bool | None
    q: str | None


async def event_filter_params(
    start: Annotated[datetime | None, Query(description="Window start (ISO time)")] = None,
    end: Annotated[datetime | None, Query(description="Window end (ISO time)")] = None,
    source: Annotated[
        list[str] | None, Query(description="Only these sources (slugs; repeat or comma-separate)")
    ] = None,
    venue: Annotated[
        list[str] | None, Query(description="Only these venues (slugs; repeat or comma-separate)")
    ] = None,
    category: Annotated[
        list[str] | None,
        Query(description="Only events in one of these categories (any case)"),
    ] = None,
    status_: Annotated[
        list[str] | None,
        Query(
            alias="status",
            description=f"Only these statuses: {', '.join(STATUSES)} (default: all but removed)",
        ),
    ] = None,
    free: Annotated[
        bool | None,
        Query(description="true: only events whose price says free; false: only the others"),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=500,
            description='Words to find in title and description: `jazz -brunch`, `"open mic"`, '
            "`folk or blues`",
        ),
    ] = None,
) -> EventFilterParams:
    return EventFilterParams(
        start=start,
        end=end,
        sources=_values(source),
        venues=_values(venue),
        categories=_values(category),
        statuses=_values(status_),
        free=free,
        q=q.strip() if q and q.strip() else None,
    )


def _values(given: list[str] | None) -> list[str]:
    """Repeated and comma-separated values, in order, once each."""
    values = (v.strip() for item in given or () for v in item.split(","))
    return list(dict.fromkeys(v for v in values if v))


@dataclass(frozen=True, slots=True)
class Window:
    """How far back and ahead a window reaches by default, and how long it may be."""

    back: timedelta
    ahead: timedelta
    longest: timedelta


def resolve_filters(
    db: Session | Connection,
    params: EventFilterParams,
    window: Window,
    *,
    now: datetime | None = None,
    source_ids: list[int] | None = None,
    venue_ids: list[int] | None = None,
) -> OccurrenceFilters:
    """Check the filters and turn slugs into ids; a 422 naming what is wrong.

    `source_ids` and `venue_ids`, when given, are what the URL's path already
    chose, and the query's own source and venue filters narrow within them.
    """
    now = now or datetime.now(UTC)
    try:
        start = _aware(params.start) if params.start else now - window.back
        end = _aware(params.end) if params.end else start + window.back + window.ahead
    except OverflowError:
        raise _unprocessable("the window reaches beyond the calendar") from None
    if end <= start:
        raise _unprocessable("end must be after start")
    if end - start > window.longest:
        raise _unprocessable(f"the window may span at most {window.longest.days} days")
    unknown = sorted(set(params.statuses) - set(STATUSES))
    if unknown:
        raise _unprocessable(
            f"unknown status {', '.join(unknown)}: use one of {', '.join(STATUSES)}"
        )
    chosen_sources = _ids(db, Source, "source", params.sources)
    chosen_venues = _ids(db, Venue, "venue", params.venues)
    return OccurrenceFilters(
        start=start,
        end=end,
        source_ids=_narrowed(source_ids, chosen_sources),
        venue_ids=_narrowed(venue_ids, chosen_venues),
        categories=params.categories,
        statuses=params.statuses or SHOWN_BY_DEFAULT,
        free=params.free,
        query=params.q,
    )


def _ids(
    db: Session | Connection, model: type[Source] | type[Venue], noun: str, slugs: list[str]
) -> list[int]:
    found = ids_of_slugs(db, model, slugs)
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise _unprocessable(f"unknown {noun} {', '.join(unknown)}")
    return list(found.values())


def _narrowed(path_ids: list[int] | None, query_ids: list[int]) -> list[int]:
    """Ids the path chose, narrowed by the query's; -1 (no row) when they share none."""
    if path_ids is None:
        return query_ids
    if not query_ids:
        return path_ids
    return [i for i in path_ids if i in query_ids] or [-1]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)
