"""Content hashes: unchanged input must cost no writes.

The stored hashes (`event_hash`, `occurrence_hash`, `schedule_hash`) are each
the SHA-256 of a compact JSON array of the fields they cover. The arrays are
written out here with f-strings rather than through `json.dumps`, which costs
several times more per call, and the few time zones and statuses are encoded
once; the bytes are the same, so stored hashes stay valid.

`input_hash` is cheaper: one digest of everything the parser gave of an event,
so that a run can tell an event did not change without computing the others.
`event_hashes` computes all of them in one pass, for events that are written.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn

_sha256 = hashlib.sha256

_MARSHAL_VERSION = 2
"""Typed and length-prefixed like later versions, but without shared references,
so equal values always give equal bytes."""

_OccurrenceFields = tuple[str, float, float | None, bool, str, str, str | None]
"""(recurrence key, start, end or None, all day, time zone, status, own title or None),
the moments as POSIX timestamps."""


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


@lru_cache(maxsize=1024)
def _cached_text(value: str | None) -> str:
    """`_text` of a value that repeats across a feed: a time zone, a status."""
    return _text(value)


_STATUS_VALUE: dict[str, str] = {status: status.value for status in EventStatus}
_STATUS_TEXT: dict[str, str] = {status: _text(status.value) for status in EventStatus}


def _digest(encoded: str) -> str:
    return _sha256(encoded.encode()).hexdigest()


def event_hash(event: EventIn) -> str:
    """Hash of what a person sees of the event, not of its dates."""
    categories = ",".join(encode_basestring_ascii(c) for c in event.categories)
    status = event.status
    return _digest(
        f"[{_text(event.title)},{_text(event.description)},{_text(event.url)},"
        f"{_text(event.image_url)},{_text(event.location_text)},[{categories}],"
        f"{_text(event.price)},{_STATUS_TEXT.get(status) or _cached_text(str(status))}]"
    )


def _occurrence_fields(occurrences: Iterable[OccurrenceIn]) -> list[_OccurrenceFields]:
    statuses = _STATUS_VALUE
    return [
        (
            o.recurrence_key,
            o.starts_at.timestamp(),
            None if o.ends_at is None else o.ends_at.timestamp(),
            o.all_day,
            o.timezone,
            statuses.get(o.status) or str(o.status),
            o.title,
        )
        for o in occurrences
    ]


def _occurrence_digest(fields: _OccurrenceFields) -> str:
    _, starts, ends, all_day, zone, status, title = fields
    return _sha256(
        (
            f"[{starts!r},{'null' if ends is None else repr(ends)},"
            f"{'true' if all_day else 'false'},{_cached_text(zone)},"
            f"{_STATUS_TEXT.get(status) or _cached_text(status)}"
            f"{'' if title is None else ',' + _text(title)}]"
        ).encode()
    ).hexdigest()


def occurrence_hash(occurrence: OccurrenceIn) -> str:
    """Hash of an instance's dates, zone, status and own title.

    The title is left out when there is none, so instances without one keep
    the hashes they were stored with before titles were.
    """
    return _occurrence_digest(_occurrence_fields((occurrence,))[0])


def schedule_hash(occurrences: Iterable[OccurrenceIn]) -> str:
    """Hash of an event's whole set of occurrences."""
    return _schedule_digest((o.recurrence_key, occurrence_hash(o)) for o in occurrences)


def _schedule_digest(keyed_hashes: Iterable[tuple[str, str]]) -> str:
    """`schedule_hash` from (recurrence key, occurrence hash) pairs."""
    pairs = ",".join(
        f'[{encode_basestring_ascii(key)},"{digest}"]' for key, digest in sorted(keyed_hashes)
    )
    return _digest(f"[{pairs}]")


def input_hash(event: EventIn) -> str:
    """Digest of the event's content and of its occurrences as listed.

    Equal input hashes mean equal content and schedule hashes, so a stored
    event whose input hash is the one found needs no other comparison. The
    fields are encoded with `marshal` in C; should a Python upgrade change
    its bytes, stored input hashes stop matching once and the events are
    compared by their content and schedule hashes instead.
    """
    return _input_digest(event, _occurrence_fields(event.occurrences))


def _input_digest(event: EventIn, occurrences: list[_OccurrenceFields]) -> str:
    status = event.status
    fields = (
        event.title,
        event.description,
        event.url,
        event.image_url,
        event.location_text,
        event.categories,
        event.price,
        _STATUS_VALUE.get(status) or str(status),
        occurrences,
    )
    try:
        encoded = marshal.dumps(fields, _MARSHAL_VERSION)
    except ValueError:  # a str subclass, or another type marshal does not take
        encoded = marshal.dumps(_plain(fields), _MARSHAL_VERSION)
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def _plain(value: Any) -> Any:
    """`value` with only the types marshal takes: str, float, bool, None, lists."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return repr(value)


@dataclass(frozen=True, slots=True)
class EventHashes:
    occurrences: tuple[OccurrenceIn, ...]
    """The event's occurrences, one per recurrence key: the last one listed."""
    occurrence_hashes: list[str]
    """The hash of each of `occurrences`, in the same order."""
    content_hash: str
    schedule_hash: str
    input_hash: str


def event_hashes(event: EventIn) -> EventHashes:
    """All of the event's hashes, each moment converted once for all of them."""
    occurrences = event.occurrences
    fields = _occurrence_fields(occurrences)
    found = _input_digest(event, fields)
    if len(occurrences) > 1:
        unique = {f[0]: (o, f) for o, f in zip(occurrences, fields, strict=True)}
        if len(unique) < len(occurrences):
            occurrences = tuple(o for o, _ in unique.values())
            fields = [f for _, f in unique.values()]
    digests = [_occurrence_digest(f) for f in fields]
    if len(fields) == 1:
        schedule = _digest(f'[[{encode_basestring_ascii(fields[0][0])},"{digests[0]}"]]')
    else:
        schedule = _schedule_digest(zip((f[0] for f in fields), digests, strict=True))
    return EventHashes(occurrences, digests, event_hash(event), schedule, found)


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
