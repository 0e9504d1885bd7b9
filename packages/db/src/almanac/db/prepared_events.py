"""Parsed events with their hashes, ready to store or to compare with what is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn
from almanac.db.hashing import event_hash, input_hash, occurrence_hashes


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    event: EventIn
    occurrences: tuple[OccurrenceIn, ...]
    """One per recurrence key, the last one listed."""
    occurrence_hashes: list[str]
    """The hash of each of `occurrences`, in the same order."""
    content_hash: str
    schedule_hash: str
    input_hash: str


def latest_versions(events: Sequence[EventIn]) -> list[EventIn]:
    """One event per external id: the highest SEQUENCE wins, then the last seen."""
    chosen: dict[str, EventIn] = {}
    for event in events:
        current = chosen.get(event.external_id)
        if current is None or event.sequence >= current.sequence:
            chosen[event.external_id] = event
    return list(chosen.values())


def unique_occurrences(event: EventIn) -> tuple[OccurrenceIn, ...]:
    """One occurrence per recurrence key, the last one listed."""
    occurrences = event.occurrences
    if len(occurrences) < 2:
        return occurrences
    return tuple({o.recurrence_key: o for o in occurrences}.values())


def prepare(event: EventIn, found_input_hash: str | None = None) -> PreparedEvent:
    """The event with all its hashes; `found_input_hash` if its input hash is known."""
    occurrences = unique_occurrences(event)
    digests, schedule = occurrence_hashes(occurrences)
    return PreparedEvent(
        event,
        occurrences,
        digests,
        event_hash(event),
        schedule,
        found_input_hash or input_hash(event),
    )


def cancelled_occurrences(event: EventIn) -> int:
    """How many of the event's occurrences are cancelled: all of them if the event is."""
    if len(event.occurrences) == 1:
        cancelled = EventStatus.CANCELLED
        return int(event.status is cancelled or event.occurrences[0].status is cancelled)
    occurrences = unique_occurrences(event)
    if event.status is EventStatus.CANCELLED:
        return len(occurrences)
    return sum(1 for o in occurrences if o.status is EventStatus.CANCELLED)
