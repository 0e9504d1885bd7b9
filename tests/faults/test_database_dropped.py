"""PostgreSQL goes away under Almanac: a scrape whose connections are dropped mid-ingest
is tried again and leaves the database as an undisturbed run would; the API answers
503 while the database does not answer, and recovers by itself when it is back.

The shared PostgreSQL server is not touched: the worker's connections are ended with
`pg_terminate_backend` (only those of this test's database, busy in a statement or
a transaction), and the API reaches the database through a TCP forwarder the test
cuts and restores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from celery.result import AsyncResult
from sqlalchemy import Engine, make_url, text

from almanac.core import tasks
from almanac.pipeline.runs import INTERRUPTED
from bench import feed
from bench.plan import NOW
from tests.support import fault_figures
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import Process, free_port, start_from_procfile, wait_until
from tests.support.source_state import add_ical_source, run_history, stored
from tests.support.tcp_proxy import TcpProxy
from tests.support.workers import start_worker

pytestmark = pytest.mark.faults

EVENTS = 3000
DROPS = 3
DATABASE_AWAY = "the database is unavailable: "
QUEUE = "database-dropped"
NODE = "database-dropped"

_BUSY_BACKENDS = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND state IN ('active', 'idle in transaction')"
)


@pytest.fixture
def feed_server() -> Iterator[LocalHTTPServer]:
    server = LocalHTTPServer().start()
    server.serve("/big.ics", feed.generate(EVENTS, NOW))
    yield server
    server.stop()


@pytest.fixture
def worker(
    database_url: str, committed_db: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Process]:
    """A worker that tries a failed scrape again a second later, on a queue of its own
    (the suite's own worker refuses the local feed server)."""
    env = dict(os.environ) | {
        "ALMANAC_ALLOW_PRIVATE_NETWORKS": "true",
        "ALMANAC_TASK_MAX_RETRIES": "5",
        "ALMANAC_TASK_RETRY_BASE_SECONDS": "1",
    }
    logs = tmp_path_factory.mktemp("db-drop-worker")
    extra = ["--hostname", f"{NODE}@%h", "--queues", QUEUE]
    process = start_worker("worker", NODE, logs, env, extra)
    yield process
    process.stop()


def _scrape(slug: str) -> AsyncResult:  # type: ignore[type-arg]
    from almanac.worker import app

    return app.send_task(tasks.SCRAPE_SOURCE, kwargs={"source": slug}, queue=QUEUE)


def test_a_scrape_whose_connections_are_dropped_is_tried_again_and_loses_nothing(
    engine: Engine, worker: Process, feed_server: LocalHTTPServer
) -> None:
    url = feed_server.url("/big.ics")
    add_ical_source(engine, "undisturbed", url)
    add_ical_source(engine, "dropped", url)
    assert _scrape("undisturbed").get(timeout=120)["status"] == "ok"

    result = _scrape("dropped")
    dropped = 0
    deadline = time.monotonic() + 60
    while dropped < DROPS and time.monotonic() < deadline and not result.ready():
        with engine.begin() as connection:
            dropped += sum(1 for (ended,) in connection.execute(_BUSY_BACKENDS) if ended)
        time.sleep(0.05)
    assert dropped, "the worker's connections were never caught busy"
    fault_figures.count("faults_injected", dropped)

    assert result.get(timeout=180)["status"] == "ok"
    assert worker.popen.poll() is None, worker.output()
    assert stored(engine, "dropped") == stored(engine, "undisturbed")
    # The history says why each attempt failed; the last one stored the feed.
    *failed, last = run_history(engine, "dropped")
    assert last == ("ok", None)
    assert failed, "no attempt failed"
    # (An attempt whose closing was itself cut off is closed by the next as interrupted.)
    assert {status for status, _ in failed} == {"failed"}
    reasons = [message or "" for _, message in failed]
    assert all(r.startswith(DATABASE_AWAY) or r == INTERRUPTED for r in reasons), reasons
    assert any(r.startswith(DATABASE_AWAY) for r in reasons), reasons
    fault_figures.count("faults_survived", dropped)


@pytest.fixture
def api_through_proxy(database_url: str, tmp_path: Path) -> Iterator[tuple[str, TcpProxy, Process]]:
    """The API from the Procfile, reaching PostgreSQL through a forwarder."""
    url = make_url(database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    port = free_port()
    env = dict(os.environ) | {"DATABASE_URL": through, "ALMANAC_API_PORT": str(port)}
    api = start_from_procfile("api", tmp_path, env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(f"{base}/health") or api.popen.poll() is not None, 60, "API")
        assert api.popen.poll() is None, api.output()
        yield base, proxy, api
    finally:
        api.stop()
        proxy.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _database_ok(base: str) -> bool:
    checks = httpx.get(f"{base}/health/ready", timeout=10).json()["checks"]
    return bool(checks["database"]["ok"])


def test_the_api_answers_503_while_the_database_is_away_and_recovers_by_itself(
    api_through_proxy: tuple[str, TcpProxy, Process],
) -> None:
    base, proxy, api = api_through_proxy
    assert _database_ok(base)
    assert httpx.get(f"{base}/events", timeout=10).status_code == 200

    proxy.cut()
    fault_figures.count("faults_injected")
    ready = httpx.get(f"{base}/health/ready", timeout=30)
    assert ready.status_code == 503
    assert not ready.json()["checks"]["database"]["ok"]
    for path in ("/events", "/sources", "/venues", "/events.ics"):
        answer = httpx.get(f"{base}{path}", timeout=30)
        assert answer.status_code == 503, (path, answer.text)
        assert answer.json() == {
            "detail": "the database does not answer at the moment; try again shortly"
        }
        assert answer.headers["retry-after"] == "5"

    proxy.restore()
    wait_until(lambda: _database_ok(base), 30, "the API to reach the database again")
    assert httpx.get(f"{base}/events", timeout=10).status_code == 200
    assert api.popen.poll() is None
    fault_figures.count("faults_survived")
