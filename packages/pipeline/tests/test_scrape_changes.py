"""How runs of an iCalendar feed change what Almanac holds: removals, the health
gate, the moving window, and what each run records."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.domain import RunStatus, Trigger
from almanac.core.settings import get_settings
from almanac.db.models import Event, Occurrence, ScrapeRun, Source
from almanac.pipeline.runs import RunSummary
from almanac.pipeline.scrape import scrape_source
from almanac.pipeline.sources import source_health
from tests.support.http_server import LocalHTTPServer

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
DAY = timedelta(days=1)
PATH = "/club.ics"


def _vevent(uid: str, start: datetime, *lines: str) -> str:
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20261101T120000Z",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + timedelta(hours=2):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{uid.replace('-', ' ').title()}",
            *lines,
            "END:VEVENT",
        ]
    )


def _feed(*vevents: str) -> bytes:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Folk Club//EN"]
    return ("\r\n".join([*head, *vevents, "END:VCALENDAR"]) + "\r\n").encode()


GIGS = [_vevent(f"gig-{n}", NOW + n * DAY) for n in range(1, 5)]


@pytest.fixture
def source(sessions: sessionmaker[Session], http_server: LocalHTTPServer) -> Source:
    url = http_server.serve(PATH, _feed(*GIGS))
    with sessions() as session:
        source = Source(slug="folk-club", name="Folk Club", kind="ical", url=url)
        session.add(source)
        session.commit()
        return source


def _run(sessions: sessionmaker[Session], now: datetime = NOW) -> RunSummary:
    return scrape_source(sessions, get_settings(), "folk-club", trigger=Trigger.CLI, now=now)


def _status(sessions: sessionmaker[Session], uid: str) -> str:
    with sessions() as session:
        return session.scalars(select(Event.status).where(Event.external_id == uid)).one()


def _source(sessions: sessionmaker[Session]) -> Source:
    with sessions() as session:
        return session.scalars(select(Source)).one()


def _last_run(sessions: sessionmaker[Session]) -> ScrapeRun:
    with sessions() as session:
        return session.scalars(select(ScrapeRun).order_by(ScrapeRun.id.desc()).limit(1)).one()


def test_event_gone_from_a_healthy_run_is_removed(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    http_server.serve(PATH, _feed(*GIGS[:3]))
    summary = _run(sessions)
    assert (summary.status, summary.counts.removed) == (RunStatus.OK, 1)
    assert _last_run(sessions).events_removed == 1
    assert _status(sessions, "gig-4") == "removed"


def test_removed_event_that_comes_back_is_scheduled_again(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    http_server.serve(PATH, _feed(*GIGS[:3]))
    _run(sessions)
    http_server.serve(PATH, _feed(*GIGS))
    summary = _run(sessions)
    assert summary.counts.updated == 1
    assert _status(sessions, "gig-4") == "scheduled"


def test_run_with_a_broken_event_removes_nothing(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    broken = _vevent("gig-5", NOW).replace(f"DTSTART:{NOW:%Y%m%dT%H%M%SZ}", "DTSTART:soon")
    http_server.serve(PATH, _feed(*GIGS[:3], broken))
    summary = _run(sessions)
    assert (summary.status, summary.counts.removed) == (RunStatus.PARTIAL, 0)
    assert _status(sessions, "gig-4") == "scheduled"


def test_feed_that_shrinks_below_half_is_suspect_and_removes_nothing(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    http_server.serve(PATH, _feed(GIGS[0]))
    summary = _run(sessions)
    assert (summary.status, summary.counts.removed) == (RunStatus.SUSPECT, 0)
    assert [_status(sessions, f"gig-{n}") for n in range(1, 5)] == ["scheduled"] * 4
    (health,) = source_health(sessions)
    assert health.last_status == "suspect"
    assert health.health_reason == (
        "found 1 event, the last good run found 4: nothing is removed until a run finds at least 2"
    )


def test_empty_feed_after_a_good_run_is_suspect(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    http_server.serve(PATH, _feed())
    summary = _run(sessions)
    assert summary.status is RunStatus.SUSPECT
    assert (summary.message or "").startswith("found no events, the last good run found 4")


def test_feed_that_keeps_half_its_events_is_healthy(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    http_server.serve(PATH, _feed(*GIGS[:2]))
    summary = _run(sessions)
    assert (summary.status, summary.counts.removed) == (RunStatus.OK, 2)


def test_suspect_run_writes_what_it_found(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    http_server.serve(PATH, _feed(GIGS[0].replace("SUMMARY:Gig 1", "SUMMARY:Gig 1 (sold out)")))
    summary = _run(sessions)
    assert (summary.status, summary.counts.updated) == (RunStatus.SUSPECT, 1)
    with sessions() as session:
        titles = set(session.scalars(select(Event.title)))
    assert "Gig 1 (sold out)" in titles


def test_only_an_ok_run_sets_the_good_count_and_clears_the_reason(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    http_server.serve(PATH, _feed(GIGS[0]))
    _run(sessions)
    assert _source(sessions).last_good_event_count == 4
    http_server.serve(PATH, _feed(*GIGS[:3]))
    assert _run(sessions).status is RunStatus.OK
    health = _source(sessions)
    assert (health.last_good_event_count, health.health_reason) == (3, None)


def test_suspect_feed_is_read_in_full_next_time(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    http_server.serve(PATH, _feed(GIGS[0]))
    _run(sessions)
    again = _run(sessions)
    assert again.status is RunStatus.SUSPECT
    assert "If-None-Match" not in http_server.hits(PATH)[-1].headers


def test_same_body_the_same_day_is_not_read_again(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    http_server.serve(PATH, _feed(*GIGS), etag=False)
    _run(sessions)
    summary = _run(sessions, NOW + timedelta(hours=3))
    assert summary.status is RunStatus.NOT_MODIFIED
    assert summary.message == "the body is the same as last time, and so is the window"


def test_same_body_is_read_again_when_the_window_has_moved(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    first = NOW + 5 * DAY
    weekly = _vevent("open-mic", first, "RRULE:FREQ=WEEKLY")
    http_server.serve(PATH, _feed(weekly), etag=False)
    _run(sessions)
    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(Occurrence))
    summary = _run(sessions, NOW + 7 * DAY)
    assert summary.status is RunStatus.OK
    assert (summary.counts.updated, summary.counts.unchanged) == (0, 1)
    with sessions() as session:
        rows = session.execute(select(Occurrence.starts_at, Occurrence.status))
        statuses = {starts_at: status for starts_at, status in rows}
    assert len(statuses) == before + 1
    assert statuses[first] == "scheduled"


def test_not_modified_answer_costs_no_parse_on_the_same_day(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    summary = _run(sessions, NOW + DAY / 4)
    assert summary.status is RunStatus.NOT_MODIFIED
    assert summary.message == "the server answered 304 Not Modified"


def test_a_new_day_asks_for_the_whole_feed_so_endless_series_grow(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    summary = _run(sessions, NOW + DAY)
    assert summary.status is RunStatus.OK
    assert summary.counts.updated == 0
    assert "If-None-Match" not in http_server.hits(PATH)[-1].headers


def test_run_records_its_counts_and_duration(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    called_off = _vevent("visiting-band", NOW + 6 * DAY, "STATUS:CANCELLED")
    weekly = _vevent("open-mic", NOW + DAY, "RRULE:FREQ=WEEKLY;COUNT=3")
    skipped = _vevent(
        "open-mic",
        NOW + 8 * DAY,
        f"RECURRENCE-ID:{NOW + 8 * DAY:%Y%m%dT%H%M%SZ}",
        "STATUS:CANCELLED",
    )
    http_server.serve(PATH, _feed(*GIGS[:2], called_off, weekly, skipped))
    _run(sessions)
    run = _last_run(sessions)
    counts = (run.events_found, run.events_created, run.events_cancelled, run.events_removed)
    assert counts == (4, 4, 2, 0)
    assert run.duration_seconds is not None
    assert run.duration_seconds >= 0


def test_each_run_logs_one_line_with_its_counts(
    sessions: sessionmaker[Session], source: Source, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="almanac.pipeline.scrape"):
        _run(sessions)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "almanac.pipeline.scrape"]
    assert "status=ok found=4 created=4 updated=0 unchanged=0 cancelled=0 removed=0 " in line
    assert " duration=" in line


def test_run_that_fails_while_writing_leaves_the_previous_state(
    sessions: sessionmaker[Session], source: Source, http_server: LocalHTTPServer
) -> None:
    _run(sessions)
    with sessions() as session:
        session.execute(
            text(
                "CREATE FUNCTION refuse_crash() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$; "
                "CREATE TRIGGER refuse_crash BEFORE UPDATE ON events FOR EACH ROW "
                "WHEN (NEW.title = 'Crash') EXECUTE FUNCTION refuse_crash()"
            )
        )
        session.commit()
    renamed = GIGS[0].replace("SUMMARY:Gig 1", "SUMMARY:Crash")
    http_server.serve(PATH, _feed(renamed, *GIGS[1:3], _vevent("gig-9", NOW + 9 * DAY)))
    summary = _run(sessions)
    assert summary.status is RunStatus.FAILED
    assert "disk full" in (summary.message or "")
    with sessions() as session:
        uids = set(session.scalars(select(Event.external_id).where(Event.status == "scheduled")))
    assert uids == {"gig-1", "gig-2", "gig-3", "gig-4"}
