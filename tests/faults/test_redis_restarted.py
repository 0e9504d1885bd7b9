"""Redis restarted during a scrape: the worker, the maintenance worker and beat stay up
and reconnect by themselves, the scrape in progress finishes (or, its message put
back as the connection dropped, runs again as the same task), and a source whose own
schedule came due while Redis was away is sent once, after it is back.

What Almanac relies on: Redis keeps its data across a restart (the append-only file,
as in `compose.dev.yml`), so queued tasks survive it; a scrape in progress writes
to PostgreSQL, not Redis; and when each source runs next is kept in PostgreSQL
(`next_run_at`), so a dispatch beat could not send while Redis was away is sent by
the next one, claimed once.

The test's own redis-server, stopped and started again on the same port; the shared
one is not touched.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import Engine, text

from almanac.core import tasks
from tests.support import fault_figures
from tests.support.http_server import LocalHTTPServer
from tests.support.own_redis import OwnRedis
from tests.support.processes import Process, start_from_procfile, wait_until
from tests.support.source_state import run_history, run_task_ids
from tests.support.workers import FEED, FEED_EVENTS

pytestmark = pytest.mark.faults

SLOW_SECONDS = 5.0
"""The slow feed's answer takes this long: Redis is restarted meanwhile."""
DOWN_SECONDS = 2.0
SENT_DISPATCH = "Sending due task dispatch-due"


def _client(url: str) -> Celery:
    """A Celery client of the test's own Redis, sending as Almanac does."""
    client = Celery("almanac-test-client", broker=url, backend=url)
    client.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=tasks.QUEUE_DEFAULT,
        task_routes=tasks.TASK_ROUTES,
        broker_transport_options=tasks.BROKER_PRIORITY_OPTIONS,
    )
    return client


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def feeds() -> Iterator[LocalHTTPServer]:
    server = LocalHTTPServer().start()
    server.serve("/slow.ics", FEED, delay=SLOW_SECONDS)
    server.serve("/jazz.ics", FEED.replace(b"folk-club", b"jazz-cellar"))
    yield server
    server.stop()


@pytest.fixture
def processes(
    own_redis: OwnRedis, database_url: str, committed_db: None, tmp_path: Path
) -> Iterator[dict[str, Process]]:
    env = dict(os.environ) | {
        "REDIS_URL": own_redis.url,
        "ALMANAC_ALLOW_PRIVATE_NETWORKS": "true",
        "ALMANAC_DISPATCH_INTERVAL_SECONDS": "1",
        "ALMANAC_BEAT_SCHEDULE_FILE": str(tmp_path / "beat" / "celerybeat-schedule"),
    }
    started: dict[str, Process] = {}
    try:
        for name in ("worker", "maintenance", "beat"):
            started[name] = start_from_procfile(name, tmp_path / "logs", env)
        yield started
    finally:
        for process in started.values():
            process.stop()


def _add_source(engine: Engine, slug: str, url: str, due_in_seconds: float | None = None) -> None:
    """A source; with `due_in_seconds`, one whose own schedule comes due then, once."""
    due = None if due_in_seconds is None else datetime.now(UTC) + timedelta(seconds=due_in_seconds)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (slug, name, kind, url, schedule, next_run_at) "
                "VALUES (:slug, :name, 'ical', :url, :cron, :due)"
            ),
            {
                "slug": slug,
                "name": slug,
                "url": url,
                "cron": None if due is None else "0 0 1 1 *",
                "due": due,
            },
        )


def _runs(engine: Engine, slug: str) -> list[str]:
    return [status for status, _ in run_history(engine, slug)]


def _events(engine: Engine, slug: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM events e JOIN sources s ON s.id = e.source_id "
                    "WHERE s.slug = :slug"
                ),
                {"slug": slug},
            ).scalar_one()
        )


def _alive(processes: dict[str, Process]) -> bool:
    for process in processes.values():
        assert process.popen.poll() is None, process.output()
    return True


def test_a_redis_restart_during_a_scrape_loses_nothing_and_sends_nothing_twice(
    engine: Engine,
    own_redis: OwnRedis,
    feeds: LocalHTTPServer,
    processes: dict[str, Process],
) -> None:
    client = _client(own_redis.url)
    worker = [f"celery@{socket.gethostname()}"]
    wait_until(
        lambda: _alive(processes) and bool(client.control.ping(destination=worker, timeout=0.5)),
        60,
        "the worker to answer",
    )
    _add_source(engine, "slow-hall", feeds.url("/slow.ics"))
    client.send_task(tasks.SCRAPE_SOURCE, kwargs={"source": "slow-hall", "trigger": "cli"})
    client.close()
    wait_until(lambda: _runs(engine, "slow-hall") == ["running"], 30, "the scrape to start")

    own_redis.stop()
    fault_figures.count("faults_injected")
    # Due while Redis is away: beat cannot send the dispatch that would claim it.
    _add_source(engine, "jazz-cellar", feeds.url("/jazz.ics"), due_in_seconds=0.5)
    time.sleep(DOWN_SECONDS)
    before_restart = processes["beat"].output().count(SENT_DISPATCH)
    own_redis.start()

    wait_until(lambda: "ok" in _runs(engine, "slow-hall"), 60, "the scrape in progress to end")
    wait_until(lambda: "ok" in _runs(engine, "jazz-cellar"), 60, "the source due meanwhile")
    # Beat goes on sending, and no later dispatch sends the source again.
    wait_until(
        lambda: processes["beat"].output().count(SENT_DISPATCH) >= before_restart + 5,
        30,
        "beat to send more dispatches",
    )
    # The scrape's message may come back once Redis does (the worker puts back what it
    # had not acknowledged when the connection dropped): the same task, run again.
    wait_until(lambda: "running" not in _runs(engine, "slow-hall"), 60, "every delivery to end")
    assert len(set(run_task_ids(engine, "slow-hall"))) == 1, "delivered again, never sent twice"
    # Every process is up, and the worker served the source due meanwhile after it.
    assert _alive(processes)
    for process in processes.values():
        assert "Unrecoverable error" not in process.output()
    assert _runs(engine, "jazz-cellar") == ["ok"]
    assert _runs(engine, "slow-hall")[-1] == "ok"
    assert "running" not in _runs(engine, "slow-hall")
    assert _events(engine, "slow-hall") == FEED_EVENTS
    assert _events(engine, "jazz-cellar") == FEED_EVENTS
    fault_figures.count("faults_survived")
