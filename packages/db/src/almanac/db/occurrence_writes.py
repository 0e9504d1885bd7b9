"""Set-based writes of occurrences: upsert a new set, remove what left it.

An occurrence row is written only when its hash differs or it was removed;
rows that did not change cost nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, func, literal_column, null, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from almanac.core.domain import EventStatus, OccurrenceIn
from almanac.db.batches import chunked
from almanac.db.hashing import occurrence_hash
from almanac.db.models import Occurrence
from almanac.db.window import Window


@dataclass(frozen=True, slots=True)
class WrittenOccurrence:
    event_id: int
    inserted: bool
    starts_at: datetime


def upsert_occurrences(
    session: Session, events: Sequence[tuple[int, Sequence[OccurrenceIn]]]
) -> list[WrittenOccurrence]:
    """Store each event's occurrences; returns the rows inserted or changed."""
    written: list[WrittenOccurrence] = []
    for rows in chunked(_rows(events)):
        result = session.execute(_UPSERT, rows)
        written.extend(WrittenOccurrence(e, i, s) for e, i, s in result)
    return written


def _rows(events: Sequence[tuple[int, Sequence[OccurrenceIn]]]) -> Iterator[dict[str, Any]]:
    for event_id, occurrences in events:
        for o in occurrences:
            yield {
                "event_id": event_id,
                "recurrence_key": o.recurrence_key,
                "starts_at": o.starts_at,
                "ends_at": o.ends_at or o.starts_at,
                "all_day": o.all_day,
                "timezone": o.timezone,
                "status": str(o.status),
                "content_hash": occurrence_hash(o),
            }


def _upsert_statement() -> ReturningInsert[int, bool, datetime]:
    statement = pg_insert(Occurrence)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[Occurrence.event_id, Occurrence.recurrence_key],
        set_={
            "starts_at": excluded.starts_at,
            "ends_at": excluded.ends_at,
            "all_day": excluded.all_day,
            "timezone": excluded.timezone,
            "status": excluded.status,
            "content_hash": excluded.content_hash,
            "previous_starts_at": func.coalesce(
                literal_column(
                    "CASE WHEN occurrences.starts_at <> excluded.starts_at "
                    "THEN occurrences.starts_at END"
                ),
                Occurrence.previous_starts_at,
            ),
            "updated_at": func.now(),
            "removed_at": null(),
        },
        where=(Occurrence.content_hash != excluded.content_hash)
        | (Occurrence.status == EventStatus.REMOVED.value),
    ).returning(Occurrence.event_id, literal_column("xmax = 0", Boolean), Occurrence.starts_at)


_UPSERT = _upsert_statement()

_REMOVE_MISSING = text(
    """
    UPDATE occurrences AS o
    SET status = 'removed', removed_at = now(), updated_at = now()
    WHERE o.event_id = ANY(CAST(:event_ids AS bigint[]))
      AND o.status <> 'removed'
      AND o.starts_at >= :from_ AND o.starts_at < :until
      AND NOT EXISTS (
          SELECT 1
          FROM unnest(CAST(:kept_event_ids AS bigint[]), CAST(:kept_keys AS text[]))
              AS kept(event_id, recurrence_key)
          WHERE kept.event_id = o.event_id AND kept.recurrence_key = o.recurrence_key
      )
    RETURNING o.event_id
    """
)


def remove_missing_occurrences(
    session: Session,
    events: Sequence[tuple[int, Sequence[OccurrenceIn]]],
    window: Window,
    now: datetime,
) -> set[int]:
    """Mark removed each event's occurrences that are not in its new set.

    Only those the parse could have seen and that have not started: from
    the later of `now` and the window's start, to the window's end. Earlier
    ones stay as they were. Returns the ids of the events that lost one.
    """
    if not events:
        return set()
    result = session.execute(
        _REMOVE_MISSING,
        {
            "event_ids": [event_id for event_id, _ in events],
            "kept_event_ids": [event_id for event_id, occ in events for _ in occ],
            "kept_keys": [o.recurrence_key for _, occ in events for o in occ],
            "from_": max(now, window.start),
            "until": window.end,
        },
    )
    return set(result.scalars())
