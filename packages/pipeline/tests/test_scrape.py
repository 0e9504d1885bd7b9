"""`scrape_source` end to end against a local server and the real database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.domain import RunStatus, Trigger
from almanac.core.errors import SourceNotFound
from almanac.core.settings import get_settings
from almanac.db.models import Event, Occurrence, ScrapeRun, Source, Venue
from almanac.pipeline.runs import RunSummary
from almanac.pipeline.scrape import scrape_source
from tests.support.http_server import LocalHTTPServer

FEED = (
    Path(__file__).resolve().parents[2] / "scrapers" / "tests" / "fixtures" / "folk-club.ics"
).read_bytes()
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


@pytest.fixture
def source(sessions: sessionmaker[Session], http_server: LocalHTTPServer) -> Source:
    url = http_server.serve("/folk-club.ics", FEED)
    with sessions() as session:
        source = Source(slug="folk-club", name="Folk Club", kind="ical", url=url)
        session.add(source)
        session.commit()
        return source


def _run(sessions: sessionmaker[Session], ref: str | int = "folk-club") -> RunSummary:
    return scrape_source(sessions, get_settings(), ref, trigger=Trigger.CLI, task_id="t-1", now=NOW)


def test_first_run_stores_events_and_records_the_run(
    sessions: sessionmaker[Session], source: Source
) -> None:
    summary = _run(sessions)
    assert summary.status is RunStatus.OK
    assert (summary.counts.found, summary.counts.created) == (5, 5)
    with sessions() as session:
        run = session.scalars(select(ScrapeRun)).one()
        assert (run.status, run.task_id, run.trigger, run.events_created) == ("ok", "t-1", "cli", 5)
        assert run.bytes == len(FEED)
        assert run.requests == 2  # robots.txt, then the feed
        assert run.finished_at
        assert session.scalar(select(func.count()).select_from(Occurrence)) == 8
        health = session.get_one(Source, source.id)
        assert (health.last_status, health.last_event_count) == ("ok", 5)


def test_events_find_their_venue_in_the_location_the_feed_gives(
    sessions: sessionmaker[Session], source: Source
) -> None:
    _run(sessions)
    with sessions() as session:
        rows = session.execute(
            select(Event.external_id, Venue.slug, Venue.name, Venue.address).join(
                Venue, Event.venue_id == Venue.id
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("open-mic@folkclub.example", "folk-club", "Folk Club", "100 Main St, Sarasota")
    ]


def test_a_run_names_the_venues_it_made_in_its_result_and_its_log_line(
    sessions: sessionmaker[Session], source: Source, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="almanac.pipeline.scrape"):
        first = _run(sessions)
        again = _run(sessions)
    assert first.venues_made == ["folk-club"]
    assert first.as_dict()["venues_made"] == ["folk-club"]
    assert again.venues_made == []
    lines = [r.getMessage() for r in caplog.records if r.name == "almanac.pipeline.scrape"]
    first_line, again_line = lines
    assert "new_venues=1 " in first_line
    assert first_line.endswith(" venues=folk-club")
    assert "new_venues=0 " in again_line
    assert "venues=folk" not in again_line


def test_an_event_that_moves_elsewhere_finds_its_new_venue(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    moved = FEED.replace(b"LOCATION:Folk Club\\, 100 Main St", b"LOCATION:Town Hall\\, 1 Main St")
    assert moved != FEED
    http_server.serve("/folk-club.ics", moved)
    assert _run(sessions).counts.updated == 1
    with sessions() as session:
        venues = session.execute(
            select(Venue.slug, func.count(Event.id))
            .outerjoin(Event, Event.venue_id == Venue.id)
            .group_by(Venue.slug)
            .order_by(Venue.slug)
        ).all()
    assert [tuple(row) for row in venues] == [("folk-club", 0), ("town-hall", 1)]


def test_unchanged_feed_costs_no_parse(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    second = _run(sessions)
    assert second.status is RunStatus.NOT_MODIFIED
    assert http_server.hits("/folk-club.ics")[1].headers.get("If-None-Match")


def test_regenerated_dtstamp_writes_nothing(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    http_server.serve(
        "/folk-club.ics", FEED.replace(b"DTSTAMP:20261101T120000Z", b"DTSTAMP:20261121T080000Z")
    )
    summary = _run(sessions)
    assert summary.status is RunStatus.OK
    assert (summary.counts.created, summary.counts.updated, summary.counts.unchanged) == (0, 0, 5)


def test_changed_feed_updates_the_event(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    http_server.serve("/folk-club.ics", FEED.replace(b"Holiday Craft Fair", b"Winter Craft Fair"))
    summary = _run(sessions)
    assert (summary.counts.updated, summary.counts.unchanged) == (1, 4)
    with sessions() as session:
        titles = set(session.scalars(select(Event.title)))
    assert "Winter Craft Fair" in titles
    assert "Holiday Craft Fair" not in titles


def test_broken_source_fails_alone_with_its_reason(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    http_server.serve("/folk-club.ics", "<html>Maintenance</html>", content_type="text/html")
    summary = _run(sessions)
    assert summary.status is RunStatus.FAILED
    assert "not an iCalendar file" in (summary.message or "")
    with sessions() as session:
        run = session.scalars(select(ScrapeRun)).one()
        assert run.status == "failed"
        assert "not an iCalendar file" in (run.message or "")
        health = session.get_one(Source, source.id)
        assert health.consecutive_failures == 1
        assert health.last_error == run.message


def test_unreachable_server_is_a_failed_run(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    http_server.serve("/folk-club.ics", "oops", status=500)
    summary = _run(sessions)
    assert summary.status is RunStatus.FAILED
    assert summary.transient
    assert "500" in (summary.message or "")


def test_source_by_id_and_unknown_source(sessions: sessionmaker[Session], source: Source) -> None:
    assert _run(sessions, str(source.id)).status is RunStatus.OK
    with pytest.raises(SourceNotFound):
        _run(sessions, "no-such-source")


def test_an_image_where_the_feed_should_be_fails_with_its_type(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    http_server.serve("/folk-club.ics", b"\x89PNG\r\n", content_type="image/png")
    summary = _run(sessions)
    assert summary.status is RunStatus.FAILED
    assert "is image/png, not a page or a feed" in (summary.message or "")


def test_a_moved_window_fetches_the_whole_feed_again(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    next_day = scrape_source(
        sessions, get_settings(), "folk-club", trigger=Trigger.CLI, now=NOW + timedelta(days=1)
    )
    assert next_day.status is RunStatus.OK
    assert (next_day.counts.created, next_day.counts.updated) == (0, 0)
    assert "If-None-Match" not in http_server.hits("/folk-club.ics")[-1].headers


def test_a_feed_parsed_apart_and_read_again_counts_its_events_unchanged_and_writes_nothing(
    sessions: sessionmaker[Session], source: Source
) -> None:
    apart = get_settings().model_copy(update={"feed_parse_apart_bytes": 0})

    def run(now: datetime) -> RunSummary:
        return scrape_source(sessions, apart, "folk-club", trigger=Trigger.CLI, now=now)

    first = run(NOW)
    with sessions() as session:
        stamps = {x: at for x, at in session.execute(select(Event.external_id, Event.updated_at))}
    again = run(NOW + timedelta(days=1))  # the window moved: the body is read again
    assert again.status is RunStatus.OK
    c = again.counts
    assert (c.found, c.created, c.updated, c.unchanged) == (5, 0, 0, 5)
    assert c.cancelled == first.counts.cancelled > 0
    with sessions() as session:
        assert {
            x: at for x, at in session.execute(select(Event.external_id, Event.updated_at))
        } == stamps
