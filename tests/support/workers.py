"""A real worker started for one test, and the slow source it is tried on."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almanac.db.models import Event, ScrapeRun, Source
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import Process, start_from_procfile, wait_until

FEED = (
    Path(__file__).resolve().parents[2] / "packages/scrapers/tests/fixtures/folk-club.ics"
).read_bytes()
FEED_EVENTS = 5


def start_worker(log_dir: Path, **settings: str) -> Process:
    """A worker from the Procfile line, once it says it is ready."""
    worker = start_from_procfile("worker", log_dir, dict(os.environ) | settings)
    try:
        wait_until(
            lambda: " ready." in worker.output() or worker.popen.poll() is not None,
            60,
            "the worker to be ready",
        )
    except BaseException:
        worker.stop()
        raise
    assert worker.popen.poll() is None, worker.output()
    return worker


def slow_source(engine: Engine, http_server: LocalHTTPServer, delay: float) -> str:
    url = http_server.serve("/slow.ics", FEED, delay=delay)
    with Session(engine) as session:
        session.add(Source(slug="slow-hall", name="Slow Hall", kind="ical", url=url))
        session.commit()
    return "/slow.ics"


def runs(engine: Engine) -> list[ScrapeRun]:
    with Session(engine) as session:
        return list(session.scalars(select(ScrapeRun).order_by(ScrapeRun.id)))


def events(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Event)) or 0
