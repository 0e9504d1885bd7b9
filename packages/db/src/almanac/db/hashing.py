"""Content hashes: unchanged input must cost no writes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from almanac.core.domain import EventIn, OccurrenceIn


def _digest(value: object) -> str:
    encoded = json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def event_hash(event: EventIn) -> str:
    """Hash of what a person sees of the event, not of its dates."""
    return _digest(
        [
            event.title,
            event.description,
            event.url,
            event.image_url,
            event.location_text,
            list(event.categories),
            event.price,
            str(event.status),
        ]
    )


def occurrence_hash(occurrence: OccurrenceIn) -> str:
    return _digest(
        [
            occurrence.starts_at.timestamp(),
            occurrence.ends_at.timestamp() if occurrence.ends_at else None,
            occurrence.all_day,
            occurrence.timezone,
            str(occurrence.status),
        ]
    )


def schedule_hash(occurrences: Iterable[OccurrenceIn]) -> str:
    """Hash of an event's whole set of occurrences."""
    return _digest(sorted((o.recurrence_key, occurrence_hash(o)) for o in occurrences))


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
