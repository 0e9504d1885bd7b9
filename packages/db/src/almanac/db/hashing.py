"""Content hashes: unchanged input must cost no writes.

Each hash is the SHA-256 of a compact JSON array of the fields it covers.
Every run hashes every event it finds, so the arrays are written out here
rather than through `json.dumps`, which costs several times more per call;
the bytes are the same, so stored hashes stay valid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii

from almanac.core.domain import EventIn, OccurrenceIn


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


def _digest(encoded: str) -> str:
    return hashlib.sha256(encoded.encode()).hexdigest()


def event_hash(event: EventIn) -> str:
    """Hash of what a person sees of the event, not of its dates."""
    categories = ",".join(encode_basestring_ascii(c) for c in event.categories)
    return _digest(
        f"[{_text(event.title)},{_text(event.description)},{_text(event.url)},"
        f"{_text(event.image_url)},{_text(event.location_text)},[{categories}],"
        f"{_text(event.price)},{_text(str(event.status))}]"
    )


def occurrence_hash(occurrence: OccurrenceIn) -> str:
    """Hash of an instance's dates, zone, status and own title.

    The title is left out when there is none, so instances without one keep
    the hashes they were stored with before titles were.
    """
    ends_at = occurrence.ends_at
    ends = "null" if ends_at is None else repr(ends_at.timestamp())
    title = "" if occurrence.title is None else "," + _text(occurrence.title)
    return _digest(
        f"[{occurrence.starts_at.timestamp()!r},{ends},"
        f"{'true' if occurrence.all_day else 'false'},"
        f"{_text(occurrence.timezone)},{_text(str(occurrence.status))}{title}]"
    )


def schedule_hash(occurrences: Iterable[OccurrenceIn]) -> str:
    """Hash of an event's whole set of occurrences."""
    return schedule_hash_of((o.recurrence_key, occurrence_hash(o)) for o in occurrences)


def schedule_hash_of(keyed_hashes: Iterable[tuple[str, str]]) -> str:
    """`schedule_hash` from (recurrence key, occurrence hash) pairs already computed."""
    pairs = ",".join(
        f"[{encode_basestring_ascii(key)},{encode_basestring_ascii(digest)}]"
        for key, digest in sorted(keyed_hashes)
    )
    return _digest(f"[{pairs}]")


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
