"""Set-based writes of parsed events and their occurrences.

One SELECT finds what the source already has; new events are inserted and
changed ones updated in batches; occurrences are upserted with
`INSERT … ON CONFLICT … DO UPDATE … WHERE` their hash differs. An unchanged
event costs no write at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, EventStatus
from almanac.db.hashing import event_hash, occurrence_hash, schedule_hash
from almanac.db.models import Event, Occurrence


@dataclass(slots=True)
class WriteCounts:
    found: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass(slots=True)
class _Prepared:
    event: EventIn
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


def write_events(
    session: Session, source_id: int, events: Sequence[EventIn], feed_id: int | None = None
) -> WriteCounts:
    """Store `events` for the source; returns what was created, updated, left alone."""
    prepared = [
        _Prepared(e, event_hash(e), schedule_hash(e.occurrences)) for e in latest_versions(events)
    ]
    counts = WriteCounts(found=len(prepared))
    if not prepared:
        return counts
    existing = {
        row.external_id: row
        for row in session.execute(
            select(
                Event.id, Event.external_id, Event.content_hash, Event.schedule_hash, Event.status
            ).where(
                Event.source_id == source_id,
                Event.external_id.in_([p.event.external_id for p in prepared]),
            )
        )
    }
    new = [p for p in prepared if p.event.external_id not in existing]
    changed = []
    for p in prepared:
        row = existing.get(p.event.external_id)
        if row is None:
            continue
        if (
            row.content_hash != p.content_hash
            or row.schedule_hash != p.schedule_hash
            or row.status == EventStatus.REMOVED
        ):
            changed.append((row.id, row.schedule_hash != p.schedule_hash, p))
    counts.created = len(new)
    counts.updated = len(changed)
    counts.unchanged = len(prepared) - len(new) - len(changed)

    ids = _insert_events(session, source_id, feed_id, new)
    _update_events(session, feed_id, changed)
    rescheduled = list(zip(ids, (p.event for p in new), strict=True)) + [
        (event_id, p.event) for event_id, schedule_changed, p in changed if schedule_changed
    ]
    _upsert_occurrences(session, rescheduled)
    return counts


def _event_values(p: _Prepared) -> dict[str, Any]:
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
        "schedule_hash": p.schedule_hash,
    }


def _insert_events(
    session: Session, source_id: int, feed_id: int | None, new: list[_Prepared]
) -> list[int]:
    if not new:
        return []
    rows = [
        {"source_id": source_id, "feed_id": feed_id, "external_id": p.event.external_id}
        | _event_values(p)
        for p in new
    ]
    result = session.execute(insert(Event).returning(Event.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def _update_events(
    session: Session, feed_id: int | None, changed: list[tuple[int, bool, _Prepared]]
) -> None:
    if not changed:
        return
    rows = [
        {"b_id": event_id, "b_feed_id": feed_id}
        | {f"b_{k}": v for k, v in _event_values(p).items()}
        for event_id, _, p in changed
    ]
    columns = ["feed_id", *_event_values(changed[0][2]).keys()]
    statement = (
        update(Event)
        .where(Event.id == bindparam("b_id"))
        .values(
            {c: bindparam(f"b_{c}") for c in columns}
            | {
                "sequence": Event.sequence + 1,
                "updated_at": func.now(),
                "removed_at": None,
            }
        )
    )
    session.connection().execute(statement, rows)


def _upsert_occurrences(session: Session, events: list[tuple[int, EventIn]]) -> None:
    rows = [
        {
            "event_id": event_id,
            "recurrence_key": o.recurrence_key,
            "starts_at": o.starts_at,
            "ends_at": o.ends_at or o.starts_at,
            "all_day": o.all_day,
            "timezone": o.timezone,
            "status": str(o.status),
            "content_hash": occurrence_hash(o),
        }
        for event_id, event in events
        for o in event.occurrences
    ]
    if not rows:
        return
    statement = pg_insert(Occurrence)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
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
            "removed_at": None,
        },
        where=(Occurrence.content_hash != excluded.content_hash)
        | (Occurrence.status == EventStatus.REMOVED.value),
    )
    for start in range(0, len(rows), 1000):
        session.execute(statement, rows[start : start + 1000])
