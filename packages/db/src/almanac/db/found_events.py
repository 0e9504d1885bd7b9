"""The events a run found: one per external id, and how many of their occurrences are off."""

from __future__ import annotations

from collections.abc import Sequence

from almanac.core.domain import EventIn, EventStatus


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
    occurrences = event.occurrences
    cancelled = EventStatus.CANCELLED
    if len(occurrences) == 1:
        return int(event.status is cancelled or occurrences[0].status is cancelled)
    unique = {o.recurrence_key: o for o in occurrences}
    if event.status is cancelled:
        return len(unique)
    return sum(1 for o in unique.values() if o.status is cancelled)


def input_unchanged(found_input_hash: str, stored_input_hash: str | None, removed: bool) -> bool:
    """A stored event needs no writing: the input found is the one it was stored from,
    and it was not removed since (one that reappears must come back)."""
    return not removed and found_input_hash == stored_input_hash
