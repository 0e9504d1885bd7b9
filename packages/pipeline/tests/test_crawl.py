"""Web sources read page by page through the real pipeline and database."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from almanac.core import log_context
from almanac.core.domain import RunStatus, Trigger
from almanac.core.settings import get_settings
from almanac.db.models import Event, Feed, ScrapeRun, Source
from almanac.pipeline.runs import RunSummary
from almanac.pipeline.scrape import scrape_source
from tests.support.http_server import LocalHTTPServer

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
FOLK_CLUB = (
    Path(__file__).resolve().parents[2] / "scrapers" / "tests" / "fixtures" / "folk-club.ics"
).read_bytes()


def _event_block(name: str, start: str, url: str | None = None, **extra: object) -> str:
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "MusicEvent",
        "name": name,
        "startDate": start,
        "location": {"@type": "Place", "name": "The Hall"},
        **extra,
    }
    if url:
        data["url"] = url
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def _page(*parts: str) -> str:
    return (
        "<!doctype html><html><head><title>Events</title></head><body>"
        + "".join(parts)
        + "</body></html>"
    )


def _source(
    sessions: sessionmaker[Session], kind: str, url: str, config: dict[str, object]
) -> None:
    with sessions() as session:
        session.add(Source(slug="hall", name="The Hall", kind=kind, url=url, config=config))
        session.commit()


def _run(sessions: sessionmaker[Session]) -> RunSummary:
    return scrape_source(sessions, get_settings(), "hall", trigger=Trigger.CLI, now=NOW)


def test_listing_next_page_and_detail_pages(
    sessions: sessionmaker[Session], http_server: LocalHTTPServer
) -> None:
    base = http_server.base_url
    http_server.serve(
        "/events",
        _page(
            _event_block("Jazz Night", "2026-12-05T20:00", f"{base}/events/jazz"),
            '<a class="more" href="/events/jazz">Jazz Night</a>',
            '<a rel="next" href="/events?page=2">Next</a>',
        ),
        content_type="text/html",
    )
    http_server.serve(
        "/events?page=2",
        _page(
            _event_block("Choir", "2026-12-12T19:00", f"{base}/events/choir"),
            '<a class="more" href="/events/choir">Choir</a>',
        ),
        content_type="text/html",
    )
    http_server.serve(
        "/events/jazz",
        _page(_event_block("Jazz Night (sold out)", "2026-12-05T20:00", f"{base}/events/jazz")),
        content_type="text/html",
    )
    http_server.serve(
        "/events/choir",
        _page(_event_block("Choir", "2026-12-12T19:00", f"{base}/events/choir")),
        content_type="text/html",
    )
    _source(sessions, "jsonld", f"{base}/events", {"detail_links": "a.more"})
    summary = _run(sessions)
    assert summary.status is RunStatus.OK, summary.errors
    with sessions() as session:
        titles = sorted(session.scalars(select(Event.title)))
        run = session.scalars(select(ScrapeRun)).one()
    assert titles == ["Choir", "Jazz Night (sold out)"]
    assert run.fetch_trace["statuses"] == [200, 200, 200, 200]
    assert run.requests == 5  # robots.txt and four pages


def test_a_page_that_fails_costs_only_itself(
    sessions: sessionmaker[Session], http_server: LocalHTTPServer
) -> None:
    base = http_server.base_url
    http_server.serve(
        "/events",
        _page(
            _event_block("Jazz Night", "2026-12-05T20:00", f"{base}/events/jazz"),
            '<a class="more" href="/events/jazz">Jazz</a>',
            '<a class="more" href="/events/gone">Gone</a>',
        ),
        content_type="text/html",
    )
    http_server.serve(
        "/events/jazz", _page(_event_block("Jazz", "2026-12-05T20:00")), content_type="text/html"
    )
    http_server.serve("/events/gone", "gone", status=410)
    _source(sessions, "jsonld", f"{base}/events", {"detail_links": "a.more"})
    summary = _run(sessions)
    assert summary.status is RunStatus.PARTIAL
    assert any("410" in (e["reason"] or "") for e in summary.errors)
    assert summary.counts.found == 1


def test_linked_feeds_are_stored_and_read_with_their_own_state(
    sessions: sessionmaker[Session], http_server: LocalHTTPServer
) -> None:
    base = http_server.base_url
    january = FOLK_CLUB.replace(b"folkclub.example", b"january.folkclub.example").replace(
        b"202612", b"202701"
    )
    http_server.serve("/cal/2026-12.ics", FOLK_CLUB)
    http_server.serve("/cal/2027-01.ics", january)
    both = '<a href="/cal/2026-12.ics">December</a> <a href="/cal/2027-01.ics">January</a>'
    http_server.serve("/calendar", _page(both), content_type="text/html")
    _source(sessions, "ical_links", f"{base}/calendar", {})
    first = _run(sessions)
    assert first.status is RunStatus.OK, first.errors
    with sessions() as session:
        feeds = list(session.scalars(select(Feed).order_by(Feed.url)))
        assert [f.last_status for f in feeds] == ["ok", "ok"]
        assert session.scalar(select(func.count()).select_from(Event)) == first.counts.created

    only_december = '<a href="/cal/2026-12.ics">December</a>'
    http_server.serve("/calendar", _page(only_december), content_type="text/html")
    second = _run(sessions)
    assert second.status is RunStatus.OK, second.errors
    december_hits = http_server.hits("/cal/2026-12.ics")
    assert december_hits[-1].headers.get("If-None-Match")  # asked conditionally: 304
    assert second.counts.unchanged == first.counts.created // 2
    assert second.counts.removed == first.counts.created // 2


class _ContextOfRecords(logging.Handler):
    """The thread and the log context's source of each record, as its thread sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.threadName, log_context.source.get()))


def test_every_thread_of_a_crawl_logs_in_the_context_of_its_run(
    sessions: sessionmaker[Session], http_server: LocalHTTPServer
) -> None:
    """Lines written by the threads that read event pages name the run's source (and
    task) like the run's own lines."""
    base = http_server.base_url
    links = "".join(f'<a class="more" href="/events/{n}">{n}</a>' for n in range(6))
    http_server.serve("/events", _page(links), content_type="text/html")
    for n in range(6):
        block = _event_block(f"Gig {n}", "2026-12-05T20:00", f"{base}/events/{n}")
        http_server.serve(
            f"/events/{n}", _page(block), content_type="text/html", fail_times=1, fail_status=503
        )
    _source(sessions, "jsonld", f"{base}/events", {"detail_links": "a.more"})
    handler = _ContextOfRecords()
    fetch_log = logging.getLogger("almanac.pipeline.fetch")
    fetch_log.addHandler(handler)
    level = fetch_log.level
    fetch_log.setLevel(logging.INFO)
    token = log_context.source.set("hall")
    try:
        summary = _run(sessions)
    finally:
        log_context.source.reset(token)
        fetch_log.removeHandler(handler)
        fetch_log.setLevel(level)
    assert summary.counts.found == 6
    threads = {thread for thread, _ in handler.seen}
    assert len(threads) >= 2, handler.seen  # the retries were logged by more than one thread
    assert {source for _, source in handler.seen} == {"hall"}
