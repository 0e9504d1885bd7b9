"""Occurrence rows: copied in for new events, upserted and removed for changed ones.

A changed event's new set of occurrences waits in `STAGED_OCCURRENCES`; the
changed events wait in `staged_events` (see `changed_events`). An occurrence
row is written only when its hash differs or it was removed; rows that did
not change cost nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from almanac.db.bulk_copy import CopyTarget
from almanac.db.hashing import EventHashes
from almanac.db.window import Window

_COLUMNS = (
    ("event_id", "bigint"),
    ("recurrence_key", "text"),
    ("title", "text"),
    ("starts_at", "timestamptz"),
    ("ends_at", "timestamptz"),
    ("all_day", "boolean"),
    ("timezone", "text"),
    ("status", "text"),
    ("content_hash", "text"),
)
OCCURRENCES = CopyTarget("occurrences", _COLUMNS)
STAGED_OCCURRENCES = CopyTarget("staged_occurrences", _COLUMNS)


def occurrence_rows(event_id: int, hashes: EventHashes) -> list[tuple[Any, ...]]:
    """The rows of `OCCURRENCES` for one event's occurrences.

    Tuples of plain values (the status as text), which the garbage collector
    stops tracking: a run may hold a hundred thousand of them.
    """
    return [
        (
            event_id,
            o.recurrence_key,
            o.title,
            o.starts_at,
            o.ends_at or o.starts_at,
            o.all_day,
            o.timezone,
            str(o.status),
            digest,
        )
        for o, digest in zip(hashes.occurrences, hashes.occurrence_hashes, strict=True)
    ]


_UPSERT_STAGED = text(
    """
    WITH before AS (
        SELECT o.id, o.starts_at
        FROM occurrences AS o
        JOIN staged_occurrences AS s
            ON s.event_id = o.event_id AND s.recurrence_key = o.recurrence_key
        WHERE o.starts_at <> s.starts_at
    ),
    written AS (
        INSERT INTO occurrences AS o (
            event_id, recurrence_key, title, starts_at, ends_at, all_day, timezone, status,
            content_hash
        )
        SELECT event_id, recurrence_key, title, starts_at, ends_at, all_day, timezone, status,
            content_hash
        FROM staged_occurrences
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
        RETURNING o.id, o.event_id, o.xmax = 0 AS inserted, o.starts_at
    ),
    moves AS (
        INSERT INTO occurrence_moves (occurrence_id, previous_starts_at, starts_at)
        SELECT w.id, b.starts_at, w.starts_at
        FROM written AS w
        JOIN before AS b ON b.id = w.id
    )
    SELECT DISTINCT event_id
    FROM written
    WHERE NOT (
        inserted
        AND CAST(:stored_start AS timestamptz) IS NOT NULL
        AND (starts_at < :stored_start OR starts_at >= :stored_end)
    )
    """
)


def upsert_staged_occurrences(session: Session, stored_window: Window | None) -> set[int]:
    """Store the staged occurrences; returns the events whose known occurrences changed.

    An occurrence that moved keeps its previous start, and its move is added
    to `occurrence_moves`, in the same statement.

    An occurrence that is new only because it lies outside the stored
    window (the window moved, an endless series grew) is not a change.
    """
    result = session.execute(
        _UPSERT_STAGED,
        {
            "stored_start": stored_window.start if stored_window else None,
            "stored_end": stored_window.end if stored_window else None,
        },
    )
    return set(result.scalars())


_REMOVE_MISSING = text(
    """
    UPDATE occurrences AS o
    SET status = 'removed', removed_at = now(), updated_at = now()
    FROM staged_events AS changed
    WHERE changed.rescheduled
      AND o.event_id = changed.id
      AND o.status <> 'removed'
      AND o.starts_at >= :from_ AND o.starts_at < :until
      AND NOT EXISTS (
          SELECT 1 FROM staged_occurrences AS kept
          WHERE kept.event_id = o.event_id AND kept.recurrence_key = o.recurrence_key
      )
    RETURNING o.event_id
    """
)


def remove_missing_occurrences(session: Session, window: Window, now: datetime) -> set[int]:
    """Mark removed the occurrences of rescheduled events that left their new set.

    Only those the parse could have seen and that have not started: from
    the later of `now` and the window's start, to the window's end. Earlier
    ones stay as they were. Returns the ids of the events that lost one.
    """
    result = session.execute(
        _REMOVE_MISSING, {"from_": max(now, window.start), "until": window.end}
    )
    return set(result.scalars())
