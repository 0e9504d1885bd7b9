"""Events a source has not stored yet: copied straight into their tables.

Their ids are reserved from the events' sequence first, so their occurrences
go in with the next COPY and nothing is read back. Hashing an event happens
as its row is sent, while PostgreSQL stores the rows before it; what waits for
the second COPY is kept as plain tuples, which cost the garbage collector
nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session

from almanac.core.domain import EventIn
from almanac.db.bulk_copy import EVENT_CONTENT_COLUMNS, CopyTarget, copy_rows
from almanac.db.driver import fetch_binary
from almanac.db.hashing import EventHashes, event_hashes
from almanac.db.occurrence_writes import OCCURRENCES, occurrence_rows
from almanac.db.venue_resolution import venue_ids

EVENTS = CopyTarget(
    "events",
    (
        ("id", "bigint"),
        ("source_id", "bigint"),
        ("feed_id", "bigint"),
        ("external_id", "text"),
        ("venue_id", "bigint"),
        *EVENT_CONTENT_COLUMNS,
    ),
)


def insert_new_events(
    session: Session,
    source_id: int,
    feed_id: int | None,
    events: list[EventIn],
    hashed: Mapping[str, EventHashes] | None = None,
) -> int:
    """Store events the source does not have, with their occurrences; returns how many.

    `hashed` holds hashes computed ahead, by external id, for events of `events`.
    """
    if not events:
        return 0
    ids = _reserve_ids(session, len(events))
    venues = venue_ids(session, (event.location_text for event in events))
    occurrences: list[tuple[Any, ...]] = []
    ahead = hashed or {}

    def event_rows() -> Iterator[tuple[Any, ...]]:
        for event_id, event in zip(ids, events, strict=True):
            hashes = ahead.get(event.external_id) or event_hashes(event)
            occurrences.extend(occurrence_rows(event_id, hashes))
            venue = venues.get(event.location_text or "")
            yield _event_row(event_id, source_id, feed_id, venue, event, hashes)

    copy_rows(session, EVENTS, event_rows())
    copy_rows(session, OCCURRENCES, occurrences)
    return len(events)


def _event_row(
    event_id: int,
    source_id: int,
    feed_id: int | None,
    venue_id: int | None,
    event: EventIn,
    hashes: EventHashes,
) -> tuple[Any, ...]:
    return (
        event_id,
        source_id,
        feed_id,
        event.external_id,
        venue_id,
        event.title,
        event.description,
        event.url,
        event.image_url,
        event.location_text,
        list(event.categories),
        event.price,
        event.status,
        hashes.content_hash,
        hashes.schedule_hash,
        hashes.input_hash,
    )


def _reserve_ids(session: Session, count: int) -> list[int]:
    rows = fetch_binary(
        session,
        "SELECT nextval((SELECT pg_get_serial_sequence('events', 'id')))"
        " FROM generate_series(1, %(count)b)",
        {"count": count},
    )
    return [event_id for (event_id,) in rows]
