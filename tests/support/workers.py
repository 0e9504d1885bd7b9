"""A real worker started for one test, and the slow source it is tried on."""

from __future__ import annotations

import socket
from collections.abc import Sequence
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


def start_worker(
    name: str, node: str, log_dir: Path, env: dict[str, str], extra: Sequence[str] = ()
) -> Process:
    """Start a Procfile worker and wait until its node (`celery@host`…) answers a ping.

    `extra` arguments follow the Procfile line's (a `--hostname` that names `node`).
    """
    from almanac.worker import app  # after the test session's settings are in place

    label = name if not extra else f"{name}-{node}"
    worker = start_from_procfile(name, log_dir, env, extra, label)
    destination = [f"{node}@{socket.gethostname()}"]
    try:
        wait_until(
            lambda: (
                bool(app.control.ping(destination=destination, timeout=0.5))
                or worker.popen.poll() is not None
            ),
            60,
            f"the {name} worker to answer a ping",
        )
        assert worker.popen.poll() is None, worker.output()
    except BaseException:
        worker.stop()
        raise
    return worker


def wait_until_idle(timeout: float = 10.0) -> None:
    """Until no worker holds a task. A worker told to stop while it still holds one, even
    one whose result is already stored, waits out its whole shutdown grace (Celery's soft
    shutdown sleeps it through), and the test would wait with it."""
    from almanac.worker import app

    def idle() -> bool:
        active = app.control.inspect(timeout=0.5).active()
        return active is not None and not any(active.values())

    wait_until(idle, timeout, "the workers to finish their tasks")


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
