"""A large feed parsed in a child process: the same events and problems as in place,
errors that say what happened, and no child left behind."""

from __future__ import annotations

import gc
import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from almanac.core.domain import EventIn, ParseProblem
from almanac.core.errors import ParseError
from almanac.db.hashing import input_hash
from almanac.pipeline.feed_parsing import parse_feed_batches
from almanac.scrapers import ical
from almanac.scrapers.context import ParseContext

CONTEXT = ParseContext.around(
    datetime(2026, 11, 21, 12, tzinfo=UTC), ZoneInfo("America/New_York"), 1, 365
)
URL = "https://folkclub.example/events.ics"


def _feed(events: int, broken: int | None = None) -> bytes:
    """A feed of plain, weekly and all-day events; event `broken` has an unreadable start."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Folk Club//EN"]
    first = datetime(2026, 12, 1, 19)
    for n in range(events):
        start = first + timedelta(hours=2 * n)
        lines += ["BEGIN:VEVENT", f"UID:gig-{n}@folkclub.example", f"SUMMARY:Gig {n}"]
        if n == broken:
            lines.append("DTSTART:2026-13-45 at nine")
        elif n % 10 == 0:
            lines += [f"DTSTART;VALUE=DATE:{start:%Y%m%d}"]
        else:
            lines += [f"DTSTART;TZID=America/New_York:{start:%Y%m%dT%H%M%S}", "DURATION:PT2H"]
        if n % 10 == 5:
            lines.append("RRULE:FREQ=WEEKLY;COUNT=4")
        lines += ["DTSTAMP:20261120T000000Z", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _in_place(body: bytes) -> tuple[list[EventIn], list[ParseProblem]]:
    problems: list[ParseProblem] = []
    events = [e for batch in ical.parse_batches(body, URL, CONTEXT, problems) for e in batch]
    return events, problems


def _apart(body: bytes) -> tuple[list[EventIn], list[ParseProblem]]:
    problems: list[ParseProblem] = []
    batches = parse_feed_batches(body, URL, CONTEXT, problems, min_bytes=0)
    return [e for batch in batches for e in batch.events], problems


def _children() -> list[int]:
    """The processes this one has started and not yet reaped."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        text = Path(f"/proc/{os.getpid()}/task/{task}/children").read_text()
        found.extend(int(pid) for pid in text.split())
    return found


def _no_children_left() -> bool:
    return not _children()


def test_a_feed_parsed_apart_gives_the_events_and_problems_of_one_parsed_in_place() -> None:
    body = _feed(3000, broken=1234)
    events, problems = _apart(body)
    assert (events, problems) == _in_place(body)
    assert len(events) == 2999
    assert [p.item for p in problems] == ["gig-1234@folkclub.example"]
    assert _no_children_left()


def test_a_small_feed_is_parsed_in_place_and_a_large_one_apart() -> None:
    body = _feed(50)
    children: list[int] = []

    def count_children(size: int) -> None:
        for _ in parse_feed_batches(body, URL, CONTEXT, [], min_bytes=size):
            children.append(len(_children()))

    count_children(len(body) + 1)
    assert set(children) == {0}
    children.clear()
    count_children(len(body))
    assert set(children) == {1}
    assert _no_children_left()


def test_a_body_that_is_not_a_feed_raises_the_parse_error_it_would_in_place() -> None:
    with pytest.raises(ParseError, match=r"not an iCalendar file.*HTML page"):
        _apart(b"<!doctype html><html><body>Sorry, we are down</body></html>" * 10)
    assert _no_children_left()


def test_a_parser_process_killed_midway_is_an_error_not_a_wait() -> None:
    batches = parse_feed_batches(_feed(20_000), URL, CONTEXT, [], min_bytes=0)
    next(batches)
    (child,) = _children()
    os.kill(child, signal.SIGKILL)
    with pytest.raises(RuntimeError, match="feed parser process ended without finishing"):
        for _ in batches:
            pass
    assert _no_children_left()


def test_stopping_early_stops_the_child() -> None:
    batches = parse_feed_batches(_feed(20_000), URL, CONTEXT, [], min_bytes=0)
    next(batches)
    assert len(_children()) == 1
    batches.close()
    assert _no_children_left()


def test_events_stored_as_they_are_come_back_as_ids_only() -> None:
    body = _feed(300)
    events, _ = _in_place(body)
    by_id = {e.external_id: e for e in events}
    first, second, third = (f"gig-{n}@folkclub.example" for n in (1, 2, 3))
    stored = {
        first: (input_hash(by_id[first]), False),  # as stored
        second: ("a hash of something else", False),  # changed since
        third: (input_hash(by_id[third]), True),  # as stored, but removed: it comes back
    }
    sent, unchanged = [], []
    for batch in parse_feed_batches(body, URL, CONTEXT, [], min_bytes=0, stored=stored):
        sent.extend(e.external_id for e in batch.events)
        unchanged.extend(batch.unchanged)
    assert unchanged == [(first, 0)]
    assert second in sent
    assert third in sent
    assert sorted([*sent, first]) == sorted(by_id)


def test_a_feed_parsed_apart_leaves_the_callers_frozen_objects_frozen() -> None:
    """A prefork worker freezes what it loaded so that its pool processes share it; a
    pool process that parses a feed apart keeps it frozen."""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        events, _ = _apart(_feed(50))
        assert len(events) == 50
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
