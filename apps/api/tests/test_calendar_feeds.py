"""The iCalendar feeds, read back by two independent parsers, as a calendar app would."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn
from almanac.db.event_removals import remove_missing_events
from almanac.db.event_writes import WritePlan, write_events
from almanac.db.models import Event, Occurrence, Source
from almanac.db.window import Window
from tests.support.stored_events import StoredEvents

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DOMAIN = "almanac.invalid"


def _feed(client: TestClient, path: str = "/events.ics", **params: Any) -> icalendar.Calendar:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def _vevents(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def _summaries(client: TestClient, path: str = "/events.ics", **params: Any) -> list[str]:
    return sorted(str(e["SUMMARY"]) for e in _feed(client, path, **params).walk("VEVENT"))


@pytest.fixture
def rows(db_session: Session) -> StoredEvents:
    return StoredEvents(db_session)


def test_both_parsers_read_the_same_uids_times_and_statuses(
    client: TestClient, rows: StoredEvents
) -> None:
    source = rows.source("folk-club", "Folk Club")
    hall = rows.venue("town-hall", "Town Hall", "1 Main St")
    tonight = datetime(2026, 12, 3, 20, tzinfo=ZoneInfo("America/New_York"))
    rows.event(
        source,
        "Fiddle night",
        NOW + DAY,
        venue=hall,
        description="<p>Reels &amp; jigs,<br>all night</p><ul><li>bring a fiddle</li></ul>",
        url="https://folk.example/fiddle",
        categories=["Music"],
        price="Free",
    )
    rows.event(source, "Called off", NOW + 2 * DAY, status="cancelled", location="Back room")
    rows.event(source, "Fair", datetime(2026, 12, 5, 5, tzinfo=UTC), hours=48, all_day=True)
    rows.event(source, "Concert", tonight.astimezone(UTC), zone="America/New_York")
    body = client.get("/events.ics").content

    first = {
        str(e["UID"]): (e.decoded("DTSTART"), str(e["STATUS"]), str(e["SUMMARY"]))
        for e in icalendar.Calendar.from_ical(body).walk("VEVENT")
    }
    second = {
        e.uid.value: (e.dtstart.value, e.status.value, e.summary.value)
        for e in vobject.readOne(body.decode()).vevent_list
    }
    assert first == second
    assert len(first) == 4
    assert all(uid.startswith("occ-") and uid.endswith(f"@{DOMAIN}") for uid in first)
    by_title = {summary: (start, status) for start, status, summary in first.values()}
    assert by_title["Called off"][1] == "CANCELLED"
    assert by_title["Fiddle night"][1] == "CONFIRMED"
    assert by_title["Fair"][0] == date(2026, 12, 5)
    assert by_title["Concert"][0] == tonight

    fiddle = next(e for e in _feed(client).walk("VEVENT") if e["SUMMARY"] == "Fiddle night")
    assert str(fiddle["LOCATION"]) == "Town Hall, 1 Main St"
    assert str(fiddle["URL"]) == "https://folk.example/fiddle"
    assert (
        str(fiddle["DESCRIPTION"]) == "Reels & jigs,\nall night\n\n- bring a fiddle\n\nPrice: Free"
    )
    assert "DTSTAMP" in fiddle
    assert fiddle["SEQUENCE"] == 0


def test_the_calendar_is_named_and_valid_for_strict_readers(
    client: TestClient, rows: StoredEvents
) -> None:
    rows.event(rows.source("folk-club", "Folk Club"), "Gig", NOW + DAY)
    calendar = _feed(client, "/sources/folk-club/events.ics")
    assert str(calendar["X-WR-CALNAME"]) == "Almanac: Folk Club"
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    strict = vobject.readOne(client.get("/events.ics").content.decode(), validate=True)
    assert strict.x_wr_calname.value == "Almanac"


def test_times_keep_their_zone_and_all_day_events_are_dates(
    client: TestClient, rows: StoredEvents
) -> None:
    source = rows.source("club")
    evening = datetime(2026, 12, 3, 21, 30, tzinfo=AMSTERDAM)
    rows.event(source, "Amsterdam gig", evening.astimezone(UTC), zone="Europe/Amsterdam")
    rows.event(source, "UTC talk", datetime(2026, 12, 4, 9, tzinfo=UTC), zone="UTC")
    rows.event(source, "Fair", datetime(2026, 12, 5, 5, tzinfo=UTC), hours=48, all_day=True)
    text = client.get("/events.ics", params={"start": "2026-12-01T00:00:00Z"}).text
    assert "DTSTART;TZID=Europe/Amsterdam:20261203T213000" in text
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Amsterdam" in text
    assert "DTSTART:20261204T090000Z" in text
    assert "DTSTART;VALUE=DATE:20261205" in text
    assert "DTEND;VALUE=DATE:20261207" in text

    events = {e.summary.value: e for e in vobject.readOne(text).vevent_list}
    gig = events["Amsterdam gig"].dtstart.value
    assert (gig, gig.utcoffset()) == (evening, timedelta(hours=1))
    assert events["Fair"].dtstart.value == date(2026, 12, 5)
    assert events["Fair"].dtend.value == date(2026, 12, 7)


def test_the_default_window_reaches_30_days_back_and_365_ahead(
    client: TestClient, rows: StoredEvents
) -> None:
    source = rows.source("club")
    for days in (-40, -20, 300, 370):
        rows.event(source, f"Day {days}", NOW + days * DAY)
    assert _summaries(client) == ["Day -20", "Day 300"]
    listed = [i["title"] for i in client.get("/events").json()["items"]]
    assert listed == []


def _write(session: Session, source: Source, title: str, start: datetime) -> None:
    occurrence = OccurrenceIn("single", start, start + 2 * timedelta(hours=1), False, "UTC")
    event = EventIn(external_id="gig", title=title, occurrences=(occurrence,))
    window = Window(NOW - 2 * DAY, NOW + 400 * DAY)
    write_events(session, source.id, [event], WritePlan(window, NOW))


def test_a_changed_event_keeps_its_uid_with_a_higher_sequence(
    client: TestClient, db_session: Session, rows: StoredEvents
) -> None:
    source = rows.source("club")
    _write(db_session, source, "Gig", NOW + 3 * DAY)
    ((uid, before),) = _vevents(_feed(client)).items()

    _write(db_session, source, "Gig (sold out)", NOW + 3 * DAY)
    ((same_uid, retitled),) = _vevents(_feed(client)).items()
    assert same_uid == uid
    assert str(retitled["SUMMARY"]) == "Gig (sold out)"
    assert retitled["SEQUENCE"] > before["SEQUENCE"]

    _write(db_session, source, "Gig (sold out)", NOW + 4 * DAY)
    ((moved_uid, moved),) = _vevents(_feed(client)).items()
    assert moved_uid == uid
    assert moved.decoded("DTSTART") == NOW + 4 * DAY
    assert moved["SEQUENCE"] > retitled["SEQUENCE"]


def test_a_removed_occurrence_is_cancelled_for_30_days_then_left_out(
    client: TestClient, db_session: Session, rows: StoredEvents
) -> None:
    source = rows.source("club")
    _write(db_session, source, "Gig", NOW + 3 * DAY)
    ((uid, scheduled),) = _vevents(_feed(client)).items()
    assert str(scheduled["STATUS"]) == "CONFIRMED"

    remove_missing_events(db_session, source.id, [], Window(NOW, NOW + 400 * DAY), NOW)
    ((removed_uid, removed),) = _vevents(_feed(client)).items()
    assert (removed_uid, str(removed["STATUS"])) == (uid, "CANCELLED")
    assert removed["SEQUENCE"] > scheduled["SEQUENCE"]
    assert client.get("/events").json()["items"] == []

    db_session.execute(update(Occurrence).values(removed_at=NOW - 29 * DAY))
    db_session.execute(update(Event).values(removed_at=NOW - 29 * DAY))
    assert list(_vevents(_feed(client))) == [uid]
    db_session.execute(update(Occurrence).values(removed_at=NOW - 31 * DAY))
    db_session.execute(update(Event).values(removed_at=NOW - 31 * DAY))
    assert _vevents(_feed(client)) == {}


def test_a_cancelled_occurrence_stays_30_days_after_it_was_cancelled(
    client: TestClient, db_session: Session, rows: StoredEvents
) -> None:
    source = rows.source("club")
    rows.event(source, "Called off", NOW + 3 * DAY, status="cancelled", changed_at=NOW - 29 * DAY)
    rows.event(source, "Long off", NOW + 4 * DAY, status="cancelled", changed_at=NOW - 31 * DAY)
    rows.event(source, "On", NOW + 5 * DAY, changed_at=NOW - 31 * DAY)
    assert _summaries(client) == ["Called off", "On"]
    listed = [i["title"] for i in client.get("/events").json()["items"]]
    assert listed == ["Called off", "Long off", "On"]


def test_a_repeated_request_is_a_304_until_the_feed_changes(
    client: TestClient, db_session: Session, rows: StoredEvents
) -> None:
    source = rows.source("club")
    _write(db_session, source, "Gig", NOW + 3 * DAY)
    first = client.get("/events.ics")
    etag = first.headers["etag"]
    again = client.get("/events.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get("/events.ics", headers={"If-None-Match": '"other"'}).status_code == 200

    _write(db_session, source, "Gig (moved upstairs)", NOW + 3 * DAY)
    changed = client.get("/events.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert b"Gig (moved upstairs)" in changed.content
    assert changed.content != first.content


def test_the_same_rows_give_the_same_bytes_and_etag(client: TestClient, rows: StoredEvents) -> None:
    rows.event(rows.source("club"), "Gig", NOW + DAY)
    first, second = client.get("/events.ics"), client.get("/events.ics")
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]


def test_a_feed_not_modified_since_the_date_given_is_a_304(
    client: TestClient, db_session: Session, rows: StoredEvents
) -> None:
    source = rows.source("club")
    then = datetime(2026, 11, 1, 12, tzinfo=UTC)
    occurrence = rows.event(source, "Gig", NOW + DAY, changed_at=then)
    first = client.get("/events.ics")
    assert first.headers["last-modified"] == format_datetime(then, usegmt=True)
    since = {"If-Modified-Since": first.headers["last-modified"]}
    assert client.get("/events.ics", headers=since).status_code == 304
    earlier = {"If-Modified-Since": format_datetime(then - timedelta(seconds=1), usegmt=True)}
    assert client.get("/events.ics", headers=earlier).status_code == 200

    occurrence.updated_at = then + timedelta(hours=1)
    db_session.flush()
    assert client.get("/events.ics", headers=since).status_code == 200
    assert client.get("/events.ics", headers={"If-Modified-Since": "garbage"}).status_code == 200


def test_source_and_venue_feeds_hold_only_theirs(client: TestClient, rows: StoredEvents) -> None:
    folk, jazz = rows.source("folk-club"), rows.source("jazz-bar")
    hall = rows.venue("town-hall", "Town Hall")
    rows.event(folk, "Fiddle night", NOW + DAY, venue=hall)
    rows.event(folk, "Poetry", NOW + 2 * DAY)
    rows.event(jazz, "Jazz", NOW + 3 * DAY, venue=hall)
    rows.event(jazz, "Brunch", NOW + 4 * DAY)
    assert _summaries(client, "/sources/folk-club/events.ics") == ["Fiddle night", "Poetry"]
    assert _summaries(client, "/venues/town-hall/events.ics") == ["Fiddle night", "Jazz"]
    assert _summaries(client, "/venues/town-hall/events.ics", source="jazz-bar") == ["Jazz"]
    assert _summaries(client, "/sources/folk-club/events.ics", source="jazz-bar") == []
    assert str(_feed(client, "/venues/town-hall/events.ics")["X-WR-CALNAME"]) == (
        "Almanac: Town Hall"
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "music"}, ["Fiddle night"]),
        ({"free": "true"}, ["Fiddle night"]),
        ({"q": "reels"}, ["Fiddle night"]),
        ({"source": "jazz-bar"}, ["Jazz"]),
        ({"status": "cancelled"}, ["Called off"]),
    ],
)
def test_the_feed_takes_the_list_filters(
    client: TestClient, rows: StoredEvents, params: dict[str, str], expected: list[str]
) -> None:
    folk, jazz = rows.source("folk-club"), rows.source("jazz-bar")
    rows.event(
        folk, "Fiddle night", NOW + DAY, categories=["Music"], price="Free", description="Reels"
    )
    rows.event(jazz, "Jazz", NOW + 2 * DAY, price="$20")
    rows.event(folk, "Called off", NOW + 3 * DAY, status="cancelled")
    assert _summaries(client, **params) == expected


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/sources/nowhere/events.ics", "no source 'nowhere'"),
        ("/venues/the-moon/events.ics", "no venue 'the-moon'"),
    ],
)
def test_unknown_source_or_venue_feed_is_a_404(client: TestClient, path: str, detail: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"source": "nowhere"}, "unknown source nowhere"),
        ({"status": "gone"}, "unknown status gone"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2027-03-01T00:00:00Z"}, "at most 395 days"),
        ({"start": "2026-12-10T00:00:00Z", "end": "2026-12-01T00:00:00Z"}, "end must be after"),
    ],
)
def test_bad_feed_filters_are_a_422(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/events.ics", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_an_empty_feed_is_still_a_calendar(client: TestClient) -> None:
    calendar = _feed(client)
    assert calendar.walk("VEVENT") == []
    assert vobject.readOne(client.get("/events.ics").text).x_wr_calname.value == "Almanac"


def test_every_event_of_an_ingested_source_keeps_its_identity(
    client: TestClient, db_session: Session, rows: StoredEvents
) -> None:
    source = rows.source("club")
    occurrence = OccurrenceIn("single", NOW + DAY, NOW + DAY, False, "UTC")
    events = [
        EventIn(external_id=f"gig-{n}", title=f"Gig {n}", occurrences=(occurrence,))
        for n in range(5)
    ]
    window = Window(NOW - 2 * DAY, NOW + 400 * DAY)
    write_events(db_session, source.id, events, WritePlan(window, NOW))
    uids = set(_vevents(_feed(client)))
    cancelled = [replace(events[0], status=EventStatus.CANCELLED), *events[1:]]
    write_events(db_session, source.id, cancelled, WritePlan(window, NOW))
    after = _vevents(_feed(client))
    assert set(after) == uids
    statuses = sorted(str(e["STATUS"]) for e in after.values())
    assert statuses == ["CANCELLED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED"]
