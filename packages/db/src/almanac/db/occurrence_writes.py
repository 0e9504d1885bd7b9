"""Set-based writes of occurrences: upsert a new set, remove what left it.

An occurrence row is written only when its hash differs or it was removed;
rows that did not change cost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from almanac.core.domain import OccurrenceIn
from almanac.db.batches import chunked
from almanac.db.window import Window


@dataclass(frozen=True, slots=True)
class HashedOccurrence:
    occurrence: OccurrenceIn
    hash: str


@dataclass(frozen=True, slots=True)
class WrittenOccurrence:
    event_id: int
    inserted: bool
    starts_at: datetime


def upsert_occurrences(
    session: Session, events: Sequence[tuple[int, Sequence[HashedOccurrence]]]
) -> list[WrittenOccurrence]:
    """Store each event's occurrences; returns the rows inserted or changed."""
    written: list[WrittenOccurrence] = []
    for rows in chunked(_rows(events)):
        result = session.execute(_UPSERT, {"rows": json.dumps(rows)})
        written.extend(WrittenOccurrence(e, i, s) for e, i, s in result)
    return written


def _rows(events: Sequence[tuple[int, Sequence[HashedOccurrence]]]) -> Iterator[dict[str, Any]]:
    for event_id, occurrences in events:
        for hashed in occurrences:
            o = hashed.occurrence
            yield {
                "event_id": event_id,
                "recurrence_key": o.recurrence_key,
                "title": o.title,
                "starts_at": o.starts_at.isoformat(),
                "ends_at": (o.ends_at or o.starts_at).isoformat(),
                "all_day": o.all_day,
                "timezone": o.timezone,
                "status": str(o.status),
                "content_hash": hashed.hash,
            }


_UPSERT = text(
    """
    INSERT INTO occurrences AS o (
        event_id, recurrence_key, title, starts_at, ends_at, all_day, timezone, status,
        content_hash
    )
    SELECT v.event_id, v.recurrence_key, v.title, v.starts_at, v.ends_at, v.all_day,
        v.timezone, v.status, v.content_hash
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(
        event_id bigint, recurrence_key text, title text, starts_at timestamptz,
        ends_at timestamptz, all_day boolean, timezone text, status text, content_hash text
    )
    ON CONFLICT (event_id, recurrence_key) DO UPDATE
    SET title = excluded.title,
        starts_at = excluded.starts_at,
        ends_at = excluded.ends_at,
        all_day = excluded.all_day,
        timezone = excluded.timezone,
        status = excluded.status,
        content_hash = excluded.content_hash,
        previous_starts_at = CASE
            WHEN o.starts_at <> excluded.starts_at THEN o.starts_at
            ELSE o.previous_starts_at
        END,
        updated_at = now(),
        removed_at = NULL
    WHERE o.content_hash <> excluded.content_hash OR o.status = 'removed'
    RETURNING o.event_id, o.xmax = 0, o.starts_at
    """
)

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
    events: Sequence[tuple[int, Sequence[HashedOccurrence]]],
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
            "kept_keys": [h.occurrence.recurrence_key for _, occ in events for h in occ],
            "from_": max(now, window.start),
            "until": window.end,
        },
    )
    return set(result.scalars())
