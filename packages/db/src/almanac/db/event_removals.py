"""Marking removed the upcoming events a complete, healthy run no longer found."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session

from almanac.db.driver import fetch_binary
from almanac.db.window import Window

_REMOVE_MISSING_EVENTS = """
    WITH gone AS (
        UPDATE events AS e
        SET status = 'removed', removed_at = now(), updated_at = now(),
            sequence = e.sequence + 1
        WHERE e.source_id = %(source_id)b
          AND e.status <> 'removed'
          AND NOT EXISTS (
              SELECT 1 FROM unnest(%(seen)b::text[]) AS seen(external_id)
              WHERE seen.external_id = e.external_id
          )
          AND EXISTS (
              SELECT 1 FROM occurrences AS o
              WHERE o.event_id = e.id AND o.status <> 'removed'
                AND o.ends_at > %(now)b AND o.starts_at < %(window_end)b
          )
        RETURNING e.id
    ),
    gone_occurrences AS (
        UPDATE occurrences AS o
        SET status = 'removed', removed_at = now(), updated_at = now()
        FROM gone
        WHERE o.event_id = gone.id AND o.status <> 'removed' AND o.ends_at > %(now)b
        RETURNING o.id
    )
    SELECT count(*) FROM gone
"""


def remove_missing_events(
    session: Session,
    source_id: int,
    seen_external_ids: Collection[str],
    window: Window,
    now: datetime,
) -> int:
    """Mark removed the source's events not in `seen_external_ids` that have not ended.

    An event has not ended while one of its occurrences ends after `now`;
    those occurrences are marked removed with it, the ended ones stay as
    they were. Past events are never removed, nor those whose upcoming
    occurrences all start after the window's end, which the run could not
    see. Returns how many events were removed.
    """
    [(removed,)] = fetch_binary(
        session,
        _REMOVE_MISSING_EVENTS,
        {
            "source_id": source_id,
            "seen": list(seen_external_ids),
            "now": now,
            "window_end": window.end,
        },
    )
    return int(removed)
