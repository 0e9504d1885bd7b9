"""Events: occurrences in a time window, filtered and paged, and one event with all it has."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from sqlalchemy.engine import Connection

from almanac.api.deps import SessionDep
from almanac.api.display_zones import display_zone
from almanac.api.error_responses import errors
from almanac.api.event_filters import (
    EventFilterParams,
    Window,
    event_filter_params,
    resolve_filters,
)
from almanac.api.event_schemas import (
    EventDetailOut,
    MoveOut,
    OccurrencePage,
    SourceRefOut,
    StoredOccurrenceOut,
)
from almanac.api.reads import ReadsDep
from almanac.core.addresses import without_credentials
from almanac.db.event_queries import (
    ListedEvent,
    ListedOccurrence,
    ListedVenue,
    OccurrenceFilters,
    OccurrenceRow,
    event_detail,
    list_occurrences,
)
from almanac.db.models import Event, Occurrence, Venue

router = APIRouter(prefix="/events", tags=["events"])

LIST_WINDOW = Window(back=timedelta(0), ahead=timedelta(days=30), longest=timedelta(days=366))
"""The list's window: from now (or `start`) to 30 days later, at most 366 days long."""
MAX_ID = 2**63 - 1
"""The largest id PostgreSQL's bigint holds."""
SINGLE_OCCURRENCE = "single"
"""The recurrence key of an event that does not repeat."""


@router.get("", response_model=OccurrencePage, responses=errors(422, e422="Bad filters"))
async def list_events(
    reads: ReadsDep,
    params: Annotated[EventFilterParams, Depends(event_filter_params)],
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many (1–500)")] = 100,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Response:
    """Occurrences that overlap `start`–`end`, sorted by start, each with its event.

    The window defaults to now and 30 days ahead, and may span at most 366
    days. Removed occurrences are left out unless `status` asks for them;
    cancelled ones are shown, with status `cancelled`. Pages are
    keyset-paginated: pass a page's `next_cursor` as `cursor` for the next.
    """
    after = decode_cursor(cursor) if cursor else None
    filters, rows = await reads.run(_page_rows, params, after, limit)
    last = rows[-1].occurrence if len(rows) == limit else None
    page = {
        "start": filters.start,
        "end": filters.end,
        "count": len(rows),
        "items": [
            {
                **_occurrence_fields(r.occurrence, r.event, r.status),
                "event": _event_fields(r.event, r.source_slug, r.venue, r.free),
            }
            for r in rows
        ],
        "next_cursor": encode_cursor(last.starts_at, last.id) if last else None,
    }
    # Written straight from the rows, which the database has typed: each field
    # as `OccurrencePage` has it, without building and checking a model per item.
    return Response(orjson.dumps(page, option=orjson.OPT_UTC_Z), media_type="application/json")


def _page_rows(
    connection: Connection,
    params: EventFilterParams,
    after: tuple[datetime, int] | None,
    limit: int,
) -> tuple[OccurrenceFilters, list[OccurrenceRow]]:
    filters = resolve_filters(connection, params, LIST_WINDOW)
    return filters, list_occurrences(connection, filters, after=after, limit=limit)


@router.get(
    "/{event_id}",
    response_model=EventDetailOut,
    responses=errors(404, e404="No such event"),
)
def get_event(event_id: int, session: SessionDep) -> EventDetailOut:
    """The event with its source, venue, every occurrence stored for it, and their moves."""
    found = event_detail(session, event_id) if 0 < event_id <= MAX_ID else None
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no event {event_id}")
    e, source = found.event, found.source
    occurrences = [
        StoredOccurrenceOut(**_occurrence_fields(o, e, shown), removed_at=o.removed_at)
        for o, shown in found.occurrences
    ]
    moves = [
        MoveOut(
            occurrence_id=m.occurrence_id,
            previous_starts_at=m.previous_starts_at,
            starts_at=m.starts_at,
            moved_at=m.moved_at,
        )
        for m in found.moves
    ]
    return EventDetailOut(
        **_event_fields(e, source.slug, found.venue, found.free),
        source_detail=SourceRefOut(
            slug=source.slug, name=source.name, url=without_credentials(source.url)
        ),
        first_seen_at=e.first_seen_at,
        updated_at=e.updated_at,
        removed_at=e.removed_at,
        occurrences=occurrences,
        moves=moves,
    )


def encode_cursor(starts_at: datetime, occurrence_id: int) -> str:
    raw = f"{starts_at.astimezone(UTC).isoformat()}|{occurrence_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (start, id) a cursor points after; a 422 for anything this API did not give out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, occurrence_id = raw.split("|")
        after = datetime.fromisoformat(when), int(occurrence_id)
        if after[0].tzinfo is None or not 0 < after[1] <= MAX_ID:
            raise ValueError(when)
        return after
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "cursor is not one this API gave out"
        ) from None


def _occurrence_fields(
    o: Occurrence | ListedOccurrence, e: Event | ListedEvent, shown_status: str
) -> dict[str, Any]:
    """The fields of an `OccurrenceOut`, for it or the models that extend it."""
    zone = display_zone(o.timezone)
    starts_at, ends_at = o.starts_at.astimezone(zone), o.ends_at.astimezone(zone)
    return {
        "id": o.id,
        "recurrence_id": None if o.recurrence_key == SINGLE_OCCURRENCE else o.recurrence_key,
        "title": o.title or e.title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "all_day": o.all_day,
        "start_date": starts_at.date() if o.all_day else None,
        "end_date": ends_at.date() if o.all_day else None,
        "timezone": o.timezone,
        "status": shown_status,
        "previous_starts_at": o.previous_starts_at,
    }


def _event_fields(
    e: Event | ListedEvent, source_slug: str, venue: Venue | ListedVenue | None, free: bool
) -> dict[str, Any]:
    """The fields of an `EventOut`."""
    return {
        "id": e.id,
        "source": source_slug,
        "external_id": e.external_id,
        "title": e.title,
        "description": e.description,
        "url": e.url,
        "image_url": e.image_url,
        "location": e.location_text,
        "venue": (
            {"slug": venue.slug, "name": venue.name, "address": venue.address, "url": venue.url}
            if venue
            else None
        ),
        "categories": list(e.categories),
        "price": e.price,
        "free": free,
        "status": e.status,
        "sequence": e.sequence,
    }
