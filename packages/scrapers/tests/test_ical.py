"""The iCalendar parser on a feed shaped like a small venue's export."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from almanac.core.domain import EventIn, EventStatus, ParseProblem
from almanac.core.errors import ParseError
from almanac.scrapers import ical
from almanac.scrapers.context import ParseContext

FIXTURES = Path(__file__).parent / "fixtures"
NEW_YORK = ZoneInfo("America/New_York")
WINDOW = ParseContext(
    timezone=NEW_YORK,
    window_start=datetime(2026, 11, 1, tzinfo=UTC),
    window_end=datetime(2027, 11, 1, tzinfo=UTC),
)


def _events(body: bytes, context: ParseContext = WINDOW) -> dict[str, EventIn]:
    result = ical.parse(body, "https://folkclub.example/events.ics", context)
    return {event.title: event for event in result.events}


@pytest.fixture
def folk_club() -> bytes:
    return (FIXTURES / "folk-club.ics").read_bytes()


def test_weekly_series_expands_with_moved_and_cancelled_instances(folk_club: bytes) -> None:
    series = _events(folk_club)["Open Mic Night"]
    starts = [(o.starts_at.astimezone(NEW_YORK), o.status) for o in series.occurrences]
    assert [(s.date(), s.hour, status) for s, status in starts] == [
        (date(2026, 12, 3), 19, EventStatus.SCHEDULED),
        (date(2026, 12, 11), 20, EventStatus.SCHEDULED),
        (date(2026, 12, 17), 19, EventStatus.CANCELLED),
        (date(2026, 12, 24), 19, EventStatus.SCHEDULED),
    ]
    moved = series.occurrences[1]
    assert moved.recurrence_key == "2026-12-11T00:00:00Z"  # 19:00 EST on the 10th, its slot
    assert moved.title == "Open Mic Night (moved to Friday)"
    assert moved.timezone == "America/New_York"
    assert series.categories == ("Music", "Open Mic")
    assert series.location_text == "Folk Club, 100 Main St, Sarasota"


def test_all_day_event_stays_on_its_dates(folk_club: bytes) -> None:
    (fair,) = _events(folk_club)["Holiday Craft Fair"].occurrences
    assert fair.all_day
    assert fair.starts_at == datetime(2026, 12, 5, tzinfo=NEW_YORK)
    assert fair.ends_at == datetime(2026, 12, 7, tzinfo=NEW_YORK)


def test_floating_time_is_read_in_the_source_zone(folk_club: bytes) -> None:
    (jam,) = _events(folk_club)["Sunday Jam"].occurrences
    assert jam.starts_at == datetime(2026, 12, 6, 15, tzinfo=NEW_YORK)
    berlin = ParseContext(ZoneInfo("Europe/Berlin"), WINDOW.window_start, WINDOW.window_end)
    (jam_in_berlin,) = _events(folk_club, berlin)["Sunday Jam"].occurrences
    assert jam_in_berlin.starts_at == datetime(2026, 12, 6, 15, tzinfo=ZoneInfo("Europe/Berlin"))


def test_cancelled_event_is_kept_and_marked(folk_club: bytes) -> None:
    gig = _events(folk_club)["The Visiting Band"]
    assert gig.status is EventStatus.CANCELLED
    assert gig.occurrences[0].status is EventStatus.CANCELLED


def test_event_without_uid_gets_an_id_that_stays_the_same(folk_club: bytes) -> None:
    first = _events(folk_club)["An event with no UID"].external_id
    again = _events(folk_club.replace(b"DTSTAMP:20261101T120000Z", b"DTSTAMP:20261121T090000Z"))
    assert again["An event with no UID"].external_id == first
    assert first.startswith("almanac-")


def test_events_outside_the_window_are_left_out(folk_club: bytes) -> None:
    later = ParseContext(
        NEW_YORK, datetime(2026, 12, 20, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )
    events = _events(folk_club, later)
    assert set(events) == {"Open Mic Night", "An event with no UID"}
    assert len(events["Open Mic Night"].occurrences) == 1


def test_byte_order_mark_and_bare_line_feeds_are_accepted(folk_club: bytes) -> None:
    body = codecs.BOM_UTF8 + folk_club.replace(b"\r\n", b"\n")
    assert set(_events(body)) == set(_events(folk_club))


def test_webpage_instead_of_a_feed_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not an iCalendar file"):
        ical.parse(b"<html><body>Oops</body></html>", "https://x.example/feed", WINDOW)


def _feed(*event_lines: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//x//y//EN", *event_lines, "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_html_in_descriptions_is_sanitized_and_plain_text_kept() -> None:
    body = _feed(
        "BEGIN:VEVENT",
        "UID:html",
        "DTSTART:20261205T200000Z",
        "SUMMARY:Gala",
        'DESCRIPTION:<p onclick="steal()">Black tie <script>alert(1)</script><a href="'
        'https://gala.example">tickets</a></p>',
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:plain",
        "DTSTART:20261206T200000Z",
        "SUMMARY:Talk",
        "DESCRIPTION:Q&A after the talk\\, 5 < 6",
        "END:VEVENT",
    )
    events = _events(body)
    gala = events["Gala"].description or ""
    assert "script" not in gala
    assert "onclick" not in gala
    assert "Black tie" in gala
    assert 'href="https://gala.example"' in gala
    assert events["Talk"].description == "Q&A after the talk, 5 < 6"


def test_absurd_dates_are_rejected_with_a_reason() -> None:
    body = _feed(
        "BEGIN:VEVENT",
        "UID:far",
        "DTSTART:20261205T200000Z",
        "DTEND:29991231T200000Z",
        "SUMMARY:Forever",
        "END:VEVENT",
    )
    result = ical.parse(body, "https://x.example/f.ics", WINDOW)
    assert result.events == []
    (problem,) = result.problems
    assert problem.item == "far"
    assert "2999-12-31 is not plausible" in problem.reason


def test_endless_series_is_capped() -> None:
    body = _feed(
        "BEGIN:VEVENT",
        "UID:daily",
        "DTSTART:20261101T090000Z",
        "RRULE:FREQ=DAILY",
        "SUMMARY:Every day",
        "END:VEVENT",
    )
    capped = ParseContext(NEW_YORK, WINDOW.window_start, WINDOW.window_end, {}, 50)
    (event,) = ical.parse(body, "https://x.example/f.ics", capped).events
    assert len(event.occurrences) == 50
    assert event.occurrences[0].starts_at == datetime(2026, 11, 1, 9, tzinfo=UTC)


def _vevent(uid: str, day: int, title: str = "Gig", sequence: int = 0) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTART:202612{day:02d}T200000Z",
        f"SUMMARY:{title}",
        "END:VEVENT",
    ]


def test_a_large_feed_comes_in_batches_each_event_once() -> None:
    """Small batches first, so that storing starts soon, then up to a thousand."""
    body = _feed(*[line for n in range(2500) for line in _vevent(f"gig-{n}", 1 + n % 28)])
    problems: list[ParseProblem] = []
    batches = list(ical.parse_batches(body, "https://x.example/f.ics", WINDOW, problems))
    assert [len(batch) for batch in batches] == [125, 250, 500, 1000, 625]
    ids = [event.external_id for batch in batches for event in batch]
    assert sorted(ids) == sorted(f"gig-{n}" for n in range(2500))
    assert problems == []


def test_calendars_repeating_a_uid_come_as_one_batch() -> None:
    """So that the writer, which keeps the highest SEQUENCE of a batch, sees both."""
    first = _feed(*_vevent("gig", 5, "Gig", 2), *_vevent("other", 6))
    second = _feed(*_vevent("gig", 7, "Gig, moved", 1))
    problems: list[ParseProblem] = []
    batches = list(ical.parse_batches(first + second, "https://x.example/f.ics", WINDOW, problems))
    (batch,) = batches
    assert sorted(e.sequence for e in batch if e.external_id == "gig") == [1, 2]
