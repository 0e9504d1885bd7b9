"""Events a source has not stored yet: copied straight into their tables.

Their ids are reserved from the events' sequence first, so their occurrences
go in with the next COPY and nothing is read back. Hashing an event happens
as its row is sent, while PostgreSQL stores the rows before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from almanac.core.domain import EventIn
from almanac.db.bulk_copy import CopyTarget, copy_rows
from almanac.db.driver import fetch_binary
from almanac.db.occurrence_writes import OCCURRENCES, occurrence_rows
from almanac.db.prepared_events import PreparedEvent, prepare

EVENTS = CopyTarget(
    "events",
    (
        ("id", "bigint"),
        ("source_id", "bigint"),
        ("feed_id", "bigint"),
        ("external_id", "text"),
        ("title", "text"),
        ("description", "text"),
        ("url", "text"),
        ("image_url", "text"),
        ("location_text", "text"),
        ("categories", "text[]"),
        ("price", "text"),
        ("status", "text"),
        ("content_hash", "text"),
        ("schedule_hash", "text"),
        ("input_hash", "text"),
    ),
)


def insert_new_events(
    session: Session, source_id: int, feed_id: int | None, events: list[EventIn]
) -> list[PreparedEvent]:
    """Store events the source does not have, with their occurrences; returns them hashed."""
    if not events:
        return []
    ids = _reserve_ids(session, len(events))
    prepared: list[PreparedEvent] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        for event_id, event in zip(ids, events, strict=True):
            p = prepare(event)
            prepared.append(p)
            yield (
                event_id,
                source_id,
                feed_id,
                event.external_id,
                event.title,
                event.description,
                event.url,
                event.image_url,
                event.location_text,
                list(event.categories),
                event.price,
                event.status,
                p.content_hash,
                p.schedule_hash,
                p.input_hash,
            )

    copy_rows(session, EVENTS, rows())
    copy_rows(session, OCCURRENCES, occurrence_rows(zip(ids, prepared, strict=True)))
    return prepared


def _reserve_ids(session: Session, count: int) -> list[int]:
    rows = fetch_binary(
        session,
        "SELECT nextval(pg_get_serial_sequence('events', 'id')) FROM generate_series(1, %(count)b)",
        {"count": count},
    )
    return [event_id for (event_id,) in rows]
