"""The calendar feed's text, written line by line: what calendar apps read back from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import vobject
from icalendar import Calendar

from almanac.api.ical_export import feed_calendar
from almanac.db.event_queries import FeedRow

NEW_YORK = ZoneInfo("America/New_York")
CHANGED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
TRICKY_TITLE = 'Jazz; blues, and soul \\ live: "Naïve" nights 🎷 ' + "ü" * 80
TRICKY_TEXT = "Doors 7pm;\nbring a chair, or two.\r\nLine three \\ with a backslash."


def _row(number: int, **changes: object) -> FeedRow:
    start = datetime(2026, 12, 3, 19, 30, tzinfo=NEW_YORK) + timedelta(days=number)
    values: dict[str, object] = {
        "occurrence_id": 100 + number,
        "first_seen_at": CHANGED - timedelta(days=3),
        "occurrence_title": None,
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "all_day": False,
        "timezone": "America/New_York",
        "event_id": 7,
        "title": TRICKY_TITLE,
        "description": f"<p>{TRICKY_TEXT}</p>",
        "price": "$10, or $5 for students",
        "url": "https://club.example/shows?id=7&x=1",
        "categories": ["music, live", "jazz;blues"],
        "location_text": "Back room; upstairs",
        "sequence": 3,
        "venue_name": None,
        "venue_address": None,
        "status": "scheduled",
        "changed_at": CHANGED,
    }
    values.update(changes)
    return FeedRow(**values)  # type: ignore[arg-type]


def _feed(*rows: FeedRow) -> bytes:
    return feed_calendar(list(rows), name="Almanac: Folk, Jazz; and more", domain="example.org")


def test_text_with_special_characters_reads_back_as_it_was() -> None:
    body = _feed(_row(0), _row(1, occurrence_title="Matinee", status="cancelled"))
    calendar = Calendar.from_ical(body)
    first, second = calendar.walk("VEVENT")
    assert str(first["SUMMARY"]) == TRICKY_TITLE
    assert str(second["SUMMARY"]) == "Matinee"
    assert str(second["STATUS"]) == "CANCELLED"
    description = str(first["DESCRIPTION"])
    assert "Doors 7pm;" in description
    assert "bring a chair, or two." in description
    assert "Line three \\ with a backslash." in description
    assert description.endswith("Price: $10, or $5 for students")
    assert str(first["LOCATION"]) == "Back room; upstairs"
    assert str(first["URL"]) == "https://club.example/shows?id=7&x=1"
    assert [str(c) for c in first["CATEGORIES"].cats] == ["music, live", "jazz;blues"]
    assert "X-WR-CALNAME:Almanac: Folk\\, Jazz\\; and more\r\n" in body.decode()
    assert str(first["UID"]) == "occ-100@example.org"
    assert int(first["SEQUENCE"]) == 3


def test_times_are_zoned_with_their_vtimezone_and_stamps_are_utc() -> None:
    body = _feed(_row(0), _row(1, all_day=True, timezone="America/New_York"))
    text = body.decode()
    assert "DTSTART;TZID=America/New_York:20261203T193000" in text
    assert "DTSTAMP:20261120T093000Z" in text
    assert "BEGIN:VTIMEZONE\r\nTZID:America/New_York" in text
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")
    parsed = vobject.readOne(text)
    first, second = parsed.vevent_list
    assert first.dtstart.value == datetime(2026, 12, 3, 19, 30, tzinfo=NEW_YORK)
    assert second.dtstart.value.isoformat() == "2026-12-04"


def test_every_line_is_at_most_75_octets_and_folds_between_characters() -> None:
    body = _feed(_row(0))
    lines = body.split(b"\r\n")
    assert body.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode()  # no character is cut in two
    assert any(line.startswith(b" ") for line in lines)


def test_a_second_independent_parser_reads_the_same_events() -> None:
    rows = [_row(n, occurrence_title=f"Night {n}") for n in range(5)]
    parsed = vobject.readOne(_feed(*rows).decode())
    assert [e.summary.value for e in parsed.vevent_list] == [f"Night {n}" for n in range(5)]
    assert [e.uid.value for e in parsed.vevent_list] == [
        f"occ-{100 + n}@example.org" for n in range(5)
    ]


def test_an_empty_feed_is_a_calendar_without_events_or_zones() -> None:
    calendar = Calendar.from_ical(_feed())
    assert calendar.walk("VEVENT") == []
    assert calendar.walk("VTIMEZONE") == []
    assert str(calendar["VERSION"]) == "2.0"
