"""On the real broker, a scrape asked for through the API goes ahead of scheduled ones."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from almanac.db.models import ScrapeRun, Source
from almanac.worker import app
from almanac.worker.tasks import send_scrape_task
from tests.support.api_keys import AUTH
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import BIN, Process, procfile, wait_until

FEED = (
    Path(__file__).resolve().parents[3] / "packages/scrapers/tests/fixtures/folk-club.ics"
).read_bytes()
SCHEDULED = ["hall-a", "hall-b", "hall-c"]


@pytest.fixture
def sources(engine: Engine, committed_db: None, http_server: LocalHTTPServer) -> None:
    url = http_server.serve("/folk-club.ics", FEED)
    with Session(engine) as session:
        for slug in [*SCHEDULED, "asked-for"]:
            session.add(Source(slug=slug, name=slug, kind="ical", url=url))
        session.commit()


@pytest.fixture
def api() -> Iterator[TestClient]:
    """The API with its own database sessions: what it writes, the worker sees."""
    from almanac.api.main import app as api_app

    with TestClient(api_app, headers=AUTH) as client:
        yield client


def _one_at_a_time_worker(log_dir: Path) -> Process:
    """The Procfile's worker, its pool sized by `ALMANAC_WORKER_CONCURRENCY`."""
    line = procfile()["worker"]
    assert "--concurrency ${ALMANAC_WORKER_CONCURRENCY:-64}" in line
    env = dict(os.environ) | {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ALMANAC_WORKER_CONCURRENCY": "1",
    }
    return Process("worker-1", ["bash", "-c", f"exec {line}"], log_dir, env)


def test_an_api_scrape_is_served_before_scheduled_ones_sent_earlier(
    sources: None, api: TestClient, engine: Engine, redis_url: str, tmp_path: Path
) -> None:
    broker = redis.Redis.from_url(redis_url)
    for key in broker.keys("scrape*"):
        broker.delete(key)  # scrapes earlier tests sent with no worker to take them
    broker.close()
    for n, slug in enumerate(SCHEDULED):
        send_scrape_task(slug, f"scheduled-{n}", "schedule")
    answer = api.post("/sources/asked-for/scrape")
    assert answer.status_code == 202, answer.text
    with app.connection_for_write() as connection:
        waiting = connection.default_channel.queue_declare(queue="scrape", passive=True)
    assert waiting.message_count == 4  # nothing consumed them yet

    worker = _one_at_a_time_worker(tmp_path)
    try:

        def all_finished() -> bool:
            with Session(engine) as session:
                done = session.scalars(select(ScrapeRun).where(ScrapeRun.finished_at.is_not(None)))
                return len(done.all()) == 4 or worker.popen.poll() is not None

        wait_until(all_finished, 90, "the four scrapes to finish")
    finally:
        worker.stop()
    with Session(engine) as session:
        order = session.execute(
            select(Source.slug, ScrapeRun.trigger)
            .join(ScrapeRun, ScrapeRun.source_id == Source.id)
            .order_by(ScrapeRun.started_at)
        ).all()
    assert [tuple(row) for row in order] == [
        ("asked-for", "api"),
        *((slug, "schedule") for slug in SCHEDULED),
    ], worker.log_path.read_text(errors="replace")
