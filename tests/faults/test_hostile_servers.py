"""Hostile and broken servers, met by a real worker: each fetch ends within its limits,
the run says why in words an operator understands, and the same worker goes on to
serve the next task."""

from __future__ import annotations

import gzip
import re
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from celery.result import AsyncResult
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from almanac.core import tasks
from almanac.db.models import ScrapeRun, Source
from tests.support import fault_figures
from tests.support.fault_suite import FETCH_RETRIES, FETCH_TIMEOUT_SECONDS, HostileServers
from tests.support.processes import Process
from tests.support.workers import FEED, FEED_EVENTS

pytestmark = pytest.mark.faults

HTML_ERROR_PAGE = (
    b"<!doctype html><html><head><title>Oops</title></head>"
    b"<body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>"
)
BOMB = gzip.compress(b"\0" * 20_000_000)
"""20 MB of zeros in about 20 kB."""
TWO_GB = 2 * 1024**3
SLOW = (FETCH_RETRIES + 1) * (FETCH_TIMEOUT_SECONDS + 1) + 2
"""The longest a run against a server that stalls or drips may take: each try is cut at
the fetch timeout, and a timeout is tried again once."""
QUICK = 4.0
"""A fault that needs no waiting ends in well under this."""


@dataclass(frozen=True)
class Hostile:
    """A hostile server's answer, and what the run must make of it."""

    name: str
    routes: dict[str, dict[str, Any]]
    source_path: str
    reason: str | None
    """A pattern the run's message must match; None: the run must succeed."""
    limit: float = QUICK
    server: str = "site"
    status: str = "failed"
    unreached: list[str] = field(default_factory=list)
    """Paths the server must never be asked for."""
    kind: str = "ical"
    problems: tuple[str, ...] = ()
    """Patterns the run's problems must match, one each (a partial run)."""


def _redirect(to: str) -> dict[str, Any]:
    return {"status": 302, "headers": {"Location": to}, "body": b""}


CASES = [
    Hostile(
        "never-ending-body",
        {"/endless.ics": {"endless": True}},
        "/endless.ics",
        r"sent more than the 1000000-byte limit",
    ),
    Hostile(
        "stalls-after-headers",
        {"/stall.ics": {"body": FEED, "stall_after": 10}},
        "/stall.ics",
        r"(timed out \(ReadTimeout\)|took longer than 2 s to send its answer)",
        SLOW,
    ),
    Hostile(
        "drips-its-body",
        {"/drip.ics": {"body": FEED[:300], "drip_seconds": 1.0}},
        "/drip.ics",
        r"took longer than 2 s to send its answer",
        SLOW,
    ),
    Hostile(
        "drips-its-headers",
        {"/drip-headers.ics": {"body": FEED, "drip_headers": True, "drip_seconds": 1.0}},
        "/drip-headers.ics",
        r"took longer than 2 s to send its answer",
        SLOW,
    ),
    Hostile(
        "drips-its-headers-after-robots-txt",
        {
            "/robots.txt": {"body": b"User-agent: *\nAllow: /\n", "content_type": "text/plain"},
            "/late.ics": {"body": FEED, "drip_headers": True, "drip_seconds": 1.0},
        },
        "/late.ics",
        r"took longer than 2 s to send its answer",
        SLOW,
        server="fresh",
    ),
    Hostile(
        "redirect-loop",
        {"/loop-a.ics": _redirect("/loop-b.ics"), "/loop-b.ics": _redirect("/loop-a.ics")},
        "/loop-a.ics",
        r"redirected more than 5 times \(a redirect loop\?\)",
    ),
    Hostile(
        "redirect-to-metadata",
        {"/to-metadata.ics": _redirect("http://169.254.169.254/latest/meta-data/")},
        "/to-metadata.ics",
        r"redirects to http://169\.254\.169\.254/latest/meta-data/ is refused: "
        r"169\.254\.169\.254 resolves to 169\.254\.169\.254, a private, loopback or link-local",
    ),
    Hostile(
        "redirect-to-localhost",
        {"/to-localhost.ics": _redirect("http://localhost:{port}/inside.ics")},
        "/to-localhost.ics",
        r"redirects to http://localhost:\d+/inside\.ics is refused: localhost resolves to "
        r"(127\.0\.0\.1|::1)",
        unreached=["/inside.ics"],
    ),
    Hostile(
        "redirect-to-private-range",
        {"/to-lan.ics": _redirect("http://10.0.0.1/admin")},
        "/to-lan.ics",
        r"redirects to http://10\.0\.0\.1/admin is refused: 10\.0\.0\.1 resolves to 10\.0\.0\.1",
    ),
    Hostile(
        "redirect-to-ipv6-loopback",
        {"/to-v6.ics": _redirect("http://[::1]:{port}/inside.ics")},
        "/to-v6.ics",
        r"is refused: ::1 resolves to ::1",
        unreached=["/inside.ics"],
    ),
    Hostile(
        "redirect-to-decimal-ip",
        {"/to-decimal.ics": _redirect("http://2130706433:{port}/inside.ics")},
        "/to-decimal.ics",
        r"is refused: 2130706433 resolves to 127\.0\.0\.1",
        unreached=["/inside.ics"],
    ),
    Hostile(
        "two-gigabytes-declared",
        {"/huge.ics": {"size": TWO_GB}},
        "/huge.ics",
        rf"is {TWO_GB} bytes, over the 1000000-byte limit",
    ),
    Hostile(
        "two-gigabytes-chunked",
        {"/huge-chunked.ics": {"size": TWO_GB, "chunked": True}},
        "/huge-chunked.ics",
        r"sent more than the 1000000-byte limit",
    ),
    Hostile(
        "gzip-bomb",
        {"/bomb.ics": {"body": BOMB, "headers": {"Content-Encoding": "gzip"}, "etag": False}},
        "/bomb.ics",
        r"sent more than the 1000000-byte limit",
    ),
    Hostile(
        "image-where-the-feed-should-be",
        {"/poster.ics": {"body": FEED, "content_type": "image/png"}},
        "/poster.ics",
        r"is image/png, not a page or a feed",
    ),
    Hostile(
        "html-error-page-with-200",
        {"/error-page.ics": {"body": HTML_ERROR_PAGE, "content_type": "text/html"}},
        "/error-page.ics",
        r"is not an iCalendar file \(no BEGIN:VCALENDAR; it looks like an HTML page\)",
    ),
    Hostile(
        "feed-without-a-content-type",
        {"/untyped.ics": {"body": FEED, "content_type": ""}},
        "/untyped.ics",
        None,
        status="ok",
    ),
    Hostile(
        "feed-sent-as-html",
        {"/as-html.ics": {"body": FEED, "content_type": "text/html; charset=utf-8"}},
        "/as-html.ics",
        None,
        status="ok",
    ),
    Hostile(
        "robots-txt-disallows-everything",
        {
            "/robots.txt": {"body": b"User-agent: *\nDisallow: /\n", "content_type": "text/plain"},
            "/events.ics": {"body": FEED},
        },
        "/events.ics",
        r"is disallowed by the site's robots\.txt",
        server="closed",
        unreached=["/events.ics"],
    ),
    Hostile(
        "robots-txt-never-ends",
        {"/robots.txt": {"endless": True, "content_type": "text/plain"}, "/events.ics": {}},
        "/events.ics",
        None,
        server="endless_robots",
        status="ok",
    ),
    Hostile(
        "robots-txt-drips",
        {
            "/robots.txt": {"body": b"User-agent: *\nAllow: /\n", "drip_seconds": 1.0},
            "/events.ics": {},
        },
        "/events.ics",
        None,
        SLOW,
        server="dripping_robots",
        status="ok",
    ),
    Hostile(
        "429-with-a-short-retry-after",
        {"/busy.ics": {"fail_times": 1, "fail_status": 429, "fail_headers": {"Retry-After": "1"}}},
        "/busy.ics",
        None,
        status="ok",
    ),
    Hostile(
        "429-with-an-hour-long-retry-after",
        {"/throttled.ics": {"status": 429, "headers": {"Retry-After": "3600"}, "etag": False}},
        "/throttled.ics",
        r"answered 429 .* and asks to retry after 3600",
    ),
    Hostile(
        "page-linking-to-hostile-feeds",
        {
            "/calendars.html": {
                "body": (
                    b'<html><body><a href="/feeds/bomb.ics">bomb</a>'
                    b'<a href="/feeds/drip.ics">drip</a>'
                    b'<a href="http://169.254.169.254/feeds/meta.ics">inside</a>'
                    b'<a href="/feeds/good.ics">good</a></body></html>'
                ),
                "content_type": "text/html",
            },
            "/feeds/bomb.ics": {"body": BOMB, "headers": {"Content-Encoding": "gzip"}},
            "/feeds/drip.ics": {"body": FEED[:300], "drip_seconds": 1.0},
            "/feeds/good.ics": {"body": FEED},
        },
        "/calendars.html",
        None,
        SLOW,
        status="partial",
        kind="ical_links",
        problems=(
            r"feed skipped: .*/feeds/bomb\.ics sent more than the 1000000-byte limit",
            r"feed skipped: .*/feeds/drip\.ics took longer than 2 s",
            r"feed skipped: http://169\.254\.169\.254/feeds/meta\.ics is refused",
        ),
    ),
    Hostile(
        "503-every-time",
        {"/down.ics": {"status": 503, "etag": False}},
        "/down.ics",
        r"answered 503",
        QUICK + 2,
    ),
]

_first_pid: list[int] = []


def _scrape(
    engine: Engine, slug: str, url: str, timeout: float, kind: str = "ical"
) -> tuple[ScrapeRun, float]:
    """Save a source, scrape it through the worker, and return its run and the wall time."""
    from almanac.worker import app

    with Session(engine) as session:
        session.add(Source(slug=slug, name=slug.replace("-", " ").title(), kind=kind, url=url))
        session.commit()
    started = time.monotonic()
    result = app.send_task(tasks.SCRAPE_SOURCE, kwargs={"source": slug, "trigger": "cli"})
    AsyncResult(result.id, app=app).get(timeout=timeout, propagate=False)
    elapsed = time.monotonic() - started
    with Session(engine) as session:
        source_id = session.scalar(select(Source.id).where(Source.slug == slug))
        runs = list(session.scalars(select(ScrapeRun).where(ScrapeRun.source_id == source_id)))
    assert len(runs) == 1, [(r.status, r.message) for r in runs]
    return runs[0], elapsed


def _serve(servers: HostileServers, case: Hostile) -> str:
    server = getattr(servers, case.server)
    port = str(server.port)
    for path, options in case.routes.items():
        options = dict(options)
        body = options.pop("body", FEED)
        headers = {
            name: value.replace("{port}", port)
            for name, value in options.pop("headers", {}).items()
        }
        server.serve(path, body, headers=headers, **options)
    return server.url(case.source_path)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_server_ends_the_run_within_its_limits(
    case: Hostile,
    fault_worker: Process,
    hostile_servers: HostileServers,
    engine: Engine,
    committed_db: None,
) -> None:
    _first_pid.append(fault_worker.pid)
    fault_figures.count("faults_injected")
    fault_figures.count("cases_run")
    url = _serve(hostile_servers, case)

    run, elapsed = _scrape(engine, case.name, url, timeout=case.limit + 30, kind=case.kind)

    assert run.status == case.status, (run.status, run.message)
    if case.reason is not None:
        assert run.message is not None
        assert re.search(case.reason, run.message), run.message
    else:
        assert run.events_found == FEED_EVENTS, (run.message, run.errors)
    reasons = [str(problem["reason"]) for problem in run.errors or []]
    assert len(reasons) == len(case.problems), reasons
    for pattern in case.problems:
        assert any(re.search(pattern, reason) for reason in reasons), (pattern, reasons)
    assert run.duration_seconds is not None
    assert run.duration_seconds <= case.limit, (run.duration_seconds, run.message)
    assert elapsed <= case.limit + 10
    server = getattr(hostile_servers, case.server)
    for path in case.unreached:
        assert server.hits(path) == [], path
    if case.reason and "is refused" in case.reason:
        fault_figures.count("ssrf_refused")

    _the_worker_serves_the_next_task(fault_worker, hostile_servers, engine, case.name)
    fault_figures.count("faults_survived")


def _the_worker_serves_the_next_task(
    worker: Process, servers: HostileServers, engine: Engine, after: str
) -> None:
    assert worker.popen.poll() is None, worker.output()[-3000:]
    assert worker.pid == _first_pid[0]
    url = servers.site.serve("/good.ics", FEED)
    run, _ = _scrape(engine, f"good-after-{after}"[:60], url, timeout=60)
    assert (run.status, run.events_found) == ("ok", FEED_EVENTS), run.message


def test_one_worker_served_the_whole_sequence(fault_worker: Process) -> None:
    assert fault_worker.popen.poll() is None
    assert set(_first_pid) <= {fault_worker.pid}
    log = fault_worker.output()
    for sign in ("WorkerLostError", "Hard time limit", "MemoryError", "Killed"):
        assert sign not in log, sign
