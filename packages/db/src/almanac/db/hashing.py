"""Content hashes: unchanged input must cost no writes.

The stored hashes (`event_hash`, `occurrence_hash`, `schedule_hash`) are each
the SHA-256 of a compact JSON array of the fields they cover. The arrays are
written out here with f-strings rather than through `json.dumps`, which costs
several times more per call, and the few time zones and statuses are encoded
once; the bytes are the same, so stored hashes stay valid.

`input_hash` is cheaper: one digest of everything the parser gave of an event,
so that a run can tell an event did not change without computing the others.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterable, Sequence
from enum import Enum
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn

_sha256 = hashlib.sha256


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


@lru_cache(maxsize=1024)
def _cached_text(value: str | None) -> str:
    """`_text` of a value that repeats across a feed: a time zone, a status."""
    return _text(value)


_STATUS_TEXT = {status: _text(status.value) for status in EventStatus}


def _status_text(status: EventStatus) -> str:
    return _STATUS_TEXT.get(status) or _cached_text(str(status))


def _digest(encoded: str) -> str:
    return _sha256(encoded.encode()).hexdigest()


def event_hash(event: EventIn) -> str:
    """Hash of what a person sees of the event, not of its dates."""
    categories = ",".join(encode_basestring_ascii(c) for c in event.categories)
    return _digest(
        f"[{_text(event.title)},{_text(event.description)},{_text(event.url)},"
        f"{_text(event.image_url)},{_text(event.location_text)},[{categories}],"
        f"{_text(event.price)},{_status_text(event.status)}]"
    )


def _occurrence_text(occurrence: OccurrenceIn) -> str:
    ends_at = occurrence.ends_at
    title = occurrence.title
    return (
        f"[{occurrence.starts_at.timestamp()!r},"
        f"{'null' if ends_at is None else repr(ends_at.timestamp())},"
        f"{'true' if occurrence.all_day else 'false'},"
        f"{_cached_text(occurrence.timezone)},{_status_text(occurrence.status)}"
        f"{'' if title is None else ',' + _text(title)}]"
    )


def occurrence_hash(occurrence: OccurrenceIn) -> str:
    """Hash of an instance's dates, zone, status and own title.

    The title is left out when there is none, so instances without one keep
    the hashes they were stored with before titles were.
    """
    return _sha256(_occurrence_text(occurrence).encode()).hexdigest()


def occurrence_hashes(occurrences: Sequence[OccurrenceIn]) -> tuple[list[str], str]:
    """Each occurrence's hash, in order, and the schedule hash of them all.

    The recurrence keys must be unique, as they are once an event's
    occurrences are deduplicated.
    """
    digests = [_sha256(_occurrence_text(o).encode()).hexdigest() for o in occurrences]
    if len(occurrences) == 1:
        encoded = f'[[{encode_basestring_ascii(occurrences[0].recurrence_key)},"{digests[0]}"]]'
        return digests, _digest(encoded)
    return digests, schedule_hash_of(
        zip((o.recurrence_key for o in occurrences), digests, strict=True)
    )


def schedule_hash(occurrences: Iterable[OccurrenceIn]) -> str:
    """Hash of an event's whole set of occurrences."""
    return schedule_hash_of((o.recurrence_key, occurrence_hash(o)) for o in occurrences)


def schedule_hash_of(keyed_hashes: Iterable[tuple[str, str]]) -> str:
    """`schedule_hash` from (recurrence key, occurrence hash) pairs already computed."""
    pairs = ",".join(
        f'[{encode_basestring_ascii(key)},"{digest}"]' for key, digest in sorted(keyed_hashes)
    )
    return _digest(f"[{pairs}]")


_MARSHAL_VERSION = 2
"""Typed and length-prefixed like later versions, but without shared references,
so equal values always give equal bytes."""

_STATUS_VALUE = {status: status.value for status in EventStatus}


def input_hash(event: EventIn) -> str:
    """Digest of the event's content and of its occurrences as listed.

    Equal input hashes mean equal content and schedule hashes, so a stored
    event whose input hash is the one found needs no other comparison. The
    fields are encoded with `marshal` in C; should a Python upgrade change
    its bytes, stored input hashes stop matching once and the events are
    compared by their content and schedule hashes instead.
    """
    fields = _input_fields(event)
    try:
        encoded = marshal.dumps(fields, _MARSHAL_VERSION)
    except ValueError:  # a str subclass, or another type marshal does not take
        encoded = marshal.dumps(_plain(fields), _MARSHAL_VERSION)
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def _input_fields(event: EventIn) -> tuple[Any, ...]:
    statuses = _STATUS_VALUE
    return (
        event.title,
        event.description,
        event.url,
        event.image_url,
        event.location_text,
        event.categories,
        event.price,
        statuses.get(event.status, event.status),
        [
            (
                o.recurrence_key,
                o.starts_at.timestamp(),
                None if o.ends_at is None else o.ends_at.timestamp(),
                o.all_day,
                o.timezone,
                statuses.get(o.status, o.status),
                o.title,
            )
            for o in event.occurrences
        ],
    )


def _plain(value: Any) -> Any:
    """`value` with only the types marshal takes: str, float, bool, None, tuples, lists."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return repr(value)


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
