"""One event per thing a page describes, each with an id that survives the next visit.

A page may describe the same event twice (in JSON-LD and in microdata, or in
a listing and in a nested item); the copies are merged. An event is identified
by its URL when no other event on the page shares it and it is not the
listing's own, otherwise by a hash of its title, start and location, never by
its position on the page.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import fields, replace
from datetime import UTC, datetime

from almanac.core.domain import EventIn, EventStatus
from almanac.scrapers.jsonld.event import Candidate


def merge_copies(candidates: list[Candidate]) -> list[Candidate]:
    kept: list[Candidate] = []
    by_title_and_start: dict[tuple[str, datetime], list[int]] = defaultdict(list)
    for candidate in candidates:
        event = candidate.event
        earlier = by_title_and_start[(event.title.casefold(), event.occurrences[0].starts_at)]
        for index in earlier:
            if _same(kept[index], candidate):
                kept[index] = _merged(kept[index], candidate)
                break
        else:
            earlier.append(len(kept))
            kept.append(candidate)
    return kept


def with_ids(candidates: list[Candidate], listing_urls: set[str]) -> list[EventIn]:
    """`listing_urls`: the listing page's own URLs, which never identify one of its events."""
    shared = Counter(c.event.url for c in candidates if c.event.url)
    hashes: Counter[str] = Counter()
    events = []
    for candidate in candidates:
        event = candidate.event
        if event.url and shared[event.url] == 1 and event.url not in listing_urls:
            external_id = event.url
        else:
            digest = _digest(event)
            hashes[digest] += 1
            seen = hashes[digest]
            external_id = f"almanac-{digest}" if seen == 1 else f"almanac-{digest}-{seen}"
        events.append(replace(event, external_id=external_id))
    return events


def _start(event: EventIn) -> str:
    occurrence = event.occurrences[0]
    if occurrence.all_day:
        return occurrence.starts_at.date().isoformat()
    return occurrence.starts_at.astimezone(UTC).isoformat(timespec="seconds")


def _digest(event: EventIn) -> str:
    identity = "\x1f".join((event.title, _start(event), event.location_text or ""))
    return hashlib.sha256(identity.encode()).hexdigest()[:24]


def _same(a: Candidate, b: Candidate) -> bool:
    """Two copies with the same title and start: the same event unless URL or venue differ."""
    first, second = a.event, b.event
    if first.url and second.url and first.url != second.url:
        return False
    return not (a.venue and b.venue and a.venue.casefold() != b.venue.casefold())


def _merged(kept: Candidate, copy: Candidate) -> Candidate:
    """The first copy, with what only the other one says."""
    missing = {
        f.name: getattr(copy.event, f.name)
        for f in fields(EventIn)
        if getattr(kept.event, f.name) in (None, ()) and getattr(copy.event, f.name)
    }
    if kept.event.status is EventStatus.SCHEDULED and copy.event.status is not kept.event.status:
        missing["status"] = copy.event.status
        missing["occurrences"] = copy.event.occurrences
    return replace(kept, event=replace(kept.event, **missing), venue=kept.venue or copy.venue)
