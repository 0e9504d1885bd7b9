"""Set-based writes of parsed events and their occurrences.

Events are written in batches. Per batch, one SELECT finds what the source
already has, one INSERT adds the new events, one UPDATE the changed ones;
occurrences are upserted where their hash differs, and those that left a
changed event's set are marked removed. An unchanged event costs no write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Row, Text, any_, bindparam, select, text
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn
from almanac.db.batches import weighed_batches
from almanac.db.hashing import event_hash, occurrence_hash, schedule_hash_of
from almanac.db.models import Event
from almanac.db.occurrence_writes import (
    HashedOccurrence,
    WrittenOccurrence,
    remove_missing_occurrences,
    upsert_occurrences,
)
from almanac.db.window import Window

EVENTS_PER_BATCH = 1000
OCCURRENCES_PER_BATCH = 10_000


@dataclass(slots=True)
class WriteCounts:
    found: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0
    """Occurrences found cancelled, those of cancelled events included."""
    removed: int = 0


@dataclass(frozen=True, slots=True)
class WritePlan:
    """What a run knows besides its events.

    `window` is the span the parse covered and `stored_window` the one the
    stored occurrences were expanded over (None if unknown): occurrences
    that only appear because the window moved do not make an event updated.
    With `remove_missing` false (a suspect run) nothing is marked removed.
    """

    window: Window
    now: datetime
    stored_window: Window | None = None
    remove_missing: bool = True
    feed_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Prepared:
    event: EventIn
    occurrences: tuple[HashedOccurrence, ...]
    content_hash: str
    schedule_hash: str


def latest_versions(events: Sequence[EventIn]) -> list[EventIn]:
    """One event per external id: the highest SEQUENCE wins, then the last seen."""
    chosen: dict[str, EventIn] = {}
    for event in events:
        current = chosen.get(event.external_id)
        if current is None or event.sequence >= current.sequence:
            chosen[event.external_id] = event
    return list(chosen.values())


def cancelled_occurrences(event: EventIn) -> int:
    """How many of the event's occurrences are cancelled: all of them if the event is."""
    occurrences = _unique_occurrences(event)
    if event.status is EventStatus.CANCELLED:
        return len(occurrences)
    return sum(1 for o in occurrences if o.status is EventStatus.CANCELLED)


def write_events(
    session: Session, source_id: int, events: Sequence[EventIn], plan: WritePlan
) -> WriteCounts:
    """Store `events` for the source; returns what was created, updated, left alone."""
    latest = latest_versions(events)
    counts = WriteCounts(found=len(latest))
    counts.cancelled = sum(cancelled_occurrences(e) for e in latest)
    for batch in weighed_batches(
        latest,
        lambda e: len(e.occurrences),
        max_items=EVENTS_PER_BATCH,
        max_weight=OCCURRENCES_PER_BATCH,
    ):
        created, updated = _write_batch(session, source_id, [_prepare(e) for e in batch], plan)
        counts.created += created
        counts.updated += updated
    counts.unchanged = counts.found - counts.created - counts.updated
    return counts


def _unique_occurrences(event: EventIn) -> tuple[OccurrenceIn, ...]:
    """One occurrence per recurrence key, the last one listed."""
    return tuple({o.recurrence_key: o for o in event.occurrences}.values())


def _prepare(event: EventIn) -> _Prepared:
    occurrences = tuple(HashedOccurrence(o, occurrence_hash(o)) for o in _unique_occurrences(event))
    schedule = schedule_hash_of((h.occurrence.recurrence_key, h.hash) for h in occurrences)
    return _Prepared(event, occurrences, event_hash(event), schedule)


def _write_batch(
    session: Session, source_id: int, batch: list[_Prepared], plan: WritePlan
) -> tuple[int, int]:
    """Write one batch; returns how many events it created and updated."""
    stored = _stored_events(session, source_id, [p.event.external_id for p in batch])
    new = [p for p in batch if p.event.external_id not in stored]
    existing = [(stored[p.event.external_id], p) for p in batch if p.event.external_id in stored]
    revived = {row.id for row, _ in existing if row.status == EventStatus.REMOVED}
    rescheduled = [
        (row.id, p.occurrences)
        for row, p in existing
        if row.schedule_hash != p.schedule_hash or row.id in revived
    ]

    new_ids = _insert_events(session, source_id, plan.feed_id, new)
    written = upsert_occurrences(
        session, [*zip(new_ids, (p.occurrences for p in new), strict=True), *rescheduled]
    )
    moved = _changed_by_upsert(written, set(new_ids), plan.stored_window)
    if plan.remove_missing:
        moved |= remove_missing_occurrences(session, rescheduled, plan.window, plan.now)

    updates = []
    for row, p in existing:
        bump = row.content_hash != p.content_hash or row.id in revived or row.id in moved
        kept_schedule = p.schedule_hash if plan.remove_missing else row.schedule_hash
        if bump or kept_schedule != row.schedule_hash:
            updates.append(_update_row(row.id, plan.feed_id, p, kept_schedule, bump))
    _update_events(session, updates)
    return len(new), sum(1 for u in updates if u["bump"])


def _changed_by_upsert(
    written: list[WrittenOccurrence], created: set[int], stored_window: Window | None
) -> set[int]:
    """Existing events whose occurrences changed in what was already known of them.

    An occurrence that is new only because it lies outside the stored
    window (the window moved, an endless series grew) is not a change.
    """
    return {
        w.event_id
        for w in written
        if w.event_id not in created
        and not (w.inserted and stored_window is not None and w.starts_at not in stored_window)
    }


def _stored_events(
    session: Session, source_id: int, external_ids: list[str]
) -> dict[str, Row[int, str, str, str, str]]:
    wanted = bindparam("external_ids", external_ids, type_=ARRAY(Text))
    rows = session.execute(
        select(
            Event.id, Event.external_id, Event.content_hash, Event.schedule_hash, Event.status
        ).where(Event.source_id == source_id, Event.external_id == any_(wanted))
    )
    return {row.external_id: row for row in rows}


def _content(p: _Prepared) -> dict[str, Any]:
    e = p.event
    return {
        "title": e.title,
        "description": e.description,
        "url": e.url,
        "image_url": e.image_url,
        "location_text": e.location_text,
        "categories": list(e.categories),
        "price": e.price,
        "status": str(e.status),
        "content_hash": p.content_hash,
    }


_INSERT_EVENTS = text(
    """
    INSERT INTO events (
        source_id, feed_id, external_id, title, description, url, image_url,
        location_text, categories, price, status, content_hash, schedule_hash
    )
    SELECT CAST(:source_id AS bigint), CAST(:feed_id AS bigint), v.external_id, v.title,
        v.description, v.url, v.image_url, v.location_text, v.categories, v.price, v.status,
        v.content_hash, v.schedule_hash
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(
        external_id text, title text, description text, url text, image_url text,
        location_text text, categories text[], price text, status text, content_hash text,
        schedule_hash text
    )
    RETURNING id, external_id
    """
)


def _insert_events(
    session: Session, source_id: int, feed_id: int | None, new: list[_Prepared]
) -> list[int]:
    """One INSERT for the whole batch; returns the new ids in the order of `new`."""
    if not new:
        return []
    rows = [
        {"external_id": p.event.external_id} | _content(p) | {"schedule_hash": p.schedule_hash}
        for p in new
    ]
    result = session.execute(
        _INSERT_EVENTS, {"source_id": source_id, "feed_id": feed_id, "rows": json.dumps(rows)}
    )
    ids = {external_id: event_id for event_id, external_id in result}
    return [ids[p.event.external_id] for p in new]


def _update_row(
    event_id: int, feed_id: int | None, p: _Prepared, kept_schedule: str, bump: bool
) -> dict[str, Any]:
    return (
        {"id": event_id, "feed_id": feed_id}
        | _content(p)
        | {"schedule_hash": kept_schedule, "bump": bump}
    )


_UPDATE_EVENTS = text(
    """
    UPDATE events AS e
    SET feed_id = v.feed_id,
        title = v.title,
        description = v.description,
        url = v.url,
        image_url = v.image_url,
        location_text = v.location_text,
        categories = v.categories,
        price = v.price,
        status = v.status,
        content_hash = v.content_hash,
        schedule_hash = v.schedule_hash,
        sequence = e.sequence + CASE WHEN v.bump THEN 1 ELSE 0 END,
        updated_at = CASE WHEN v.bump THEN now() ELSE e.updated_at END,
        removed_at = NULL
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(
        id bigint, feed_id bigint, title text, description text, url text, image_url text,
        location_text text, categories text[], price text, status text, content_hash text,
        schedule_hash text, bump boolean
    )
    WHERE e.id = v.id
    """
)


def _update_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """One UPDATE for the whole batch, its rows passed as one JSON array."""
    if rows:
        session.execute(_UPDATE_EVENTS, {"rows": json.dumps(rows)})
