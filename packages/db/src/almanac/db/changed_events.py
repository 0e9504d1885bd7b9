"""Stored events whose content or schedule changed: staged, then written set-based.

The changed events and the new occurrence sets of the rescheduled ones are
copied into staging tables; one upsert writes the occurrences whose hash
differs, one UPDATE marks removed those that left a set, and one UPDATE
writes the events, whatever their number.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn
from almanac.db.bulk_copy import EVENT_CONTENT_COLUMNS, CopyTarget, copy_rows
from almanac.db.hashing import EventHashes
from almanac.db.occurrence_writes import (
    STAGED_OCCURRENCES,
    occurrence_rows,
    remove_missing_occurrences,
    upsert_staged_occurrences,
)
from almanac.db.venue_resolution import venue_ids
from almanac.db.write_plan import WritePlan


@dataclass(frozen=True, slots=True)
class EventChange:
    """A stored event and what was found of it, which differs."""

    stored_id: int
    event: EventIn
    hashes: EventHashes
    content_changed: bool
    rescheduled: bool


STAGED_EVENTS = CopyTarget(
    "staged_events",
    (
        ("id", "bigint"),
        ("venue_id", "bigint"),
        *EVENT_CONTENT_COLUMNS,
        ("rescheduled", "boolean"),
    ),
)


def write_changes(session: Session, changes: list[EventChange], plan: WritePlan) -> int:
    """Write the changed events and their occurrences; returns how many count as updated.

    An event counts as updated (and its sequence grows) when what a person
    sees of it changed, it came back after being removed, or one of its
    known occurrences changed or was removed.
    """
    rescheduled = [c for c in changes if c.rescheduled]
    tables = (STAGED_EVENTS, STAGED_OCCURRENCES) if rescheduled else (STAGED_EVENTS,)
    with _staged(session, *tables):
        venues = venue_ids(session, (c.event.location_text for c in changes))
        copy_rows(session, STAGED_EVENTS, _event_rows(changes, venues))
        moved: set[int] = set()
        if rescheduled:
            rows = (row for c in rescheduled for row in occurrence_rows(c.stored_id, c.hashes))
            copy_rows(session, STAGED_OCCURRENCES, rows)
            moved = upsert_staged_occurrences(session, plan.stored_window)
            if plan.remove_missing:
                moved |= remove_missing_occurrences(session, plan.window, plan.now)
        ids: list[int] = []
        bumps: list[bool] = []
        for c in changes:
            bump = c.content_changed or c.stored_id in moved
            if bump or (c.rescheduled and plan.remove_missing):
                ids.append(c.stored_id)
                bumps.append(bump)
        if ids:
            session.execute(
                _UPDATE_EVENTS,
                {
                    "ids": ids,
                    "bumps": bumps,
                    "feed_id": plan.feed_id,
                    "remove_missing": plan.remove_missing,
                },
            )
    return sum(bumps)


def refresh_input_hashes(session: Session, input_hashes: dict[int, str]) -> None:
    """Store the input hashes of unchanged events whose stored one differs (or is missing).

    Their content and schedule are as stored: this is no update, only what
    lets the next run recognize them sooner.
    """
    if input_hashes:
        session.execute(
            _REFRESH_INPUT_HASHES,
            {"ids": list(input_hashes), "input_hashes": list(input_hashes.values())},
        )


@contextmanager
def _staged(session: Session, *tables: CopyTarget) -> Iterator[None]:
    """Create staging tables for the block; they are dropped after it, or with its transaction."""
    for table in tables:
        columns = ", ".join(f"{name} {type_}" for name, type_ in table.columns)
        session.execute(text(f"CREATE TEMPORARY TABLE {table.table} ({columns}) ON COMMIT DROP"))
    yield
    session.execute(text(f"DROP TABLE {', '.join(table.table for table in tables)}"))


def _event_rows(changes: list[EventChange], venues: dict[str, int]) -> Iterator[tuple[Any, ...]]:
    for c in changes:
        e = c.event
        yield (
            c.stored_id,
            venues.get(e.location_text or ""),
            e.title,
            e.description,
            e.url,
            e.image_url,
            e.location_text,
            list(e.categories),
            e.price,
            e.status,
            c.hashes.content_hash,
            c.hashes.schedule_hash,
            c.hashes.input_hash,
            c.rescheduled,
        )


_UPDATE_EVENTS = text(
    """
    UPDATE events AS e
    SET feed_id = CAST(:feed_id AS bigint),
        title = s.title,
        description = s.description,
        url = s.url,
        image_url = s.image_url,
        location_text = s.location_text,
        venue_id = s.venue_id,
        categories = s.categories,
        price = s.price,
        status = s.status,
        content_hash = s.content_hash,
        schedule_hash = CASE WHEN :remove_missing THEN s.schedule_hash ELSE e.schedule_hash END,
        input_hash = CASE WHEN :remove_missing THEN s.input_hash END,
        sequence = e.sequence + CASE WHEN u.bump THEN 1 ELSE 0 END,
        updated_at = CASE WHEN u.bump THEN now() ELSE e.updated_at END,
        removed_at = NULL
    FROM unnest(CAST(:ids AS bigint[]), CAST(:bumps AS boolean[])) AS u(id, bump)
    JOIN staged_events AS s ON s.id = u.id
    WHERE e.id = u.id
    """
)

_REFRESH_INPUT_HASHES = text(
    """
    UPDATE events AS e
    SET input_hash = v.input_hash
    FROM unnest(CAST(:ids AS bigint[]), CAST(:input_hashes AS text[])) AS v(id, input_hash)
    WHERE e.id = v.id
    """
)
