"""Writing the events a run found, and their occurrences, set-based.

One SELECT reads what is stored of the events found. New events are copied
straight into their tables. A stored event whose input hash is the one found
costs nothing more; the others are hashed in full and compared, and those
whose content or schedule changed are written together in a few statements.
The number of statements does not grow with the feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from almanac.core.domain import EventIn
from almanac.db.changed_events import EventChange, refresh_input_hashes, write_changes
from almanac.db.found_events import cancelled_occurrences, input_unchanged, latest_versions
from almanac.db.hashing import event_hashes, input_hash
from almanac.db.new_events import insert_new_events
from almanac.db.stored_events import StoredEvent, stored_events, stored_hashes
from almanac.db.write_plan import WritePlan

__all__ = [
    "FoundEvents",
    "WriteCounts",
    "WritePlan",
    "insert_new_events",
    "latest_versions",
    "sort_found",
    "write_differing",
    "write_events",
]


@dataclass(slots=True)
class WriteCounts:
    found: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0
    """Occurrences found cancelled, those of cancelled events included."""
    removed: int = 0


def write_events(
    session: Session, source_id: int, events: Sequence[EventIn], plan: WritePlan
) -> WriteCounts:
    """Store `events` for the source; returns what was created, updated, left alone."""
    latest = latest_versions(events)
    counts = WriteCounts(found=len(latest))
    found = sort_found(session, source_id, latest)
    counts.cancelled = found.cancelled
    counts.created = insert_new_events(session, source_id, plan.feed_id, found.new)
    counts.updated = write_differing(session, found.differing, plan)
    counts.unchanged = counts.found - counts.created - counts.updated
    return counts


Differing = tuple[EventIn, StoredEvent, str]
"""A stored event whose input hash is not the one found: (found, stored, found input hash)."""


@dataclass(slots=True)
class FoundEvents:
    """Events found, one per external id, sorted by what storing them takes."""

    new: list[EventIn] = field(default_factory=list)
    differing: list[Differing] = field(default_factory=list)
    cancelled: int = 0
    """Occurrences found cancelled, those of cancelled events included."""


def sort_found(session: Session, source_id: int, latest: Sequence[EventIn]) -> FoundEvents:
    """Which of `latest` (one per external id) are new, and which stored ones may differ.

    One SELECT; stored events whose input hash is the one found need nothing more.
    """
    found = FoundEvents()
    if not latest:
        return found
    stored = stored_events(session, source_id, [e.external_id for e in latest])
    for event in latest:
        found.cancelled += cancelled_occurrences(event)
        row = stored.get(event.external_id)
        if row is None:
            found.new.append(event)
            continue
        found_input_hash = input_hash(event)
        _, stored_input_hash, removed = row
        if not input_unchanged(found_input_hash, stored_input_hash, removed):
            found.differing.append((event, row, found_input_hash))
    return found


def write_differing(session: Session, differing: list[Differing], plan: WritePlan) -> int:
    """Compare stored events whose input differs in full; write those that changed.

    Returns how many were updated.
    """
    changes, refreshed = _compare(session, differing)
    updated = write_changes(session, changes, plan) if changes else 0
    refresh_input_hashes(session, refreshed)
    return updated


def _compare(
    session: Session, differing: list[Differing]
) -> tuple[list[EventChange], dict[int, str]]:
    """Stored events whose input hash differs: those that changed, and those that did not.

    The latter (stored before input hashes were, say) only need their input
    hash stored, by id.
    """
    if not differing:
        return [], {}
    stored = stored_hashes(session, [event_id for _, (event_id, _, _), _ in differing])
    changes: list[EventChange] = []
    refreshed: dict[int, str] = {}
    for event, (event_id, _, removed), found_input_hash in differing:
        found = event_hashes(event)
        content_hash, schedule_hash = stored[event_id]
        content_changed = removed or content_hash != found.content_hash
        rescheduled = removed or schedule_hash != found.schedule_hash
        if content_changed or rescheduled:
            changes.append(EventChange(event_id, event, found, content_changed, rescheduled))
        else:
            refreshed[event_id] = found_input_hash
    return changes, refreshed
