"""A worker asked to stop (SIGTERM, as `docker compose stop` and Ctrl-C in
`make dev` do) gives its running scrapes `ALMANAC_WORKER_SHUTDOWN_GRACE_SECONDS`
to finish, and puts back in the queue those that did not: nothing is lost."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from celery.result import AsyncResult
from sqlalchemy import Engine

from almanac.worker import app
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import wait_until
from tests.support.workers import FEED, FEED_EVENTS, events, runs, slow_source, start_worker


def test_sigterm_lets_the_running_scrape_finish_within_the_grace_period(
    database_url: str,
    redis_url: str,
    committed_db: None,
    engine: Engine,
    http_server: LocalHTTPServer,
    tmp_path: Path,
) -> None:
    settings = {"ALMANAC_WORKER_SHUTDOWN_GRACE_SECONDS": "8"}
    worker = start_worker("worker", "celery", tmp_path, dict(os.environ) | settings)
    try:
        path = slow_source(engine, http_server, delay=3)
        result = app.send_task("almanac.scrape_source", kwargs={"source": "slow-hall"})
        wait_until(lambda: bool(http_server.hits(path)), 30, "the scrape to start")
        os.kill(worker.pid, signal.SIGTERM)
        worker.popen.wait(60)
    finally:
        worker.stop()
    assert AsyncResult(result.id, app=app).get(timeout=5)["status"] == "ok"
    (run,) = runs(engine)
    assert run.status == "ok"
    assert events(engine) == FEED_EVENTS
    assert "Soft Shutdown" in worker.output()


def test_a_scrape_still_running_after_the_grace_period_goes_back_to_the_queue(
    database_url: str,
    redis_url: str,
    committed_db: None,
    engine: Engine,
    http_server: LocalHTTPServer,
    tmp_path: Path,
) -> None:
    settings = {"ALMANAC_WORKER_SHUTDOWN_GRACE_SECONDS": "2"}
    first = start_worker("worker", "celery", tmp_path / "first", dict(os.environ) | settings)
    try:
        path = slow_source(engine, http_server, delay=30)
        result = app.send_task("almanac.scrape_source", kwargs={"source": "slow-hall"})
        wait_until(lambda: bool(http_server.hits(path)), 30, "the scrape to start")
        http_server.serve(path, FEED)  # the site answers quickly from now on
        os.kill(first.pid, signal.SIGTERM)
        first.popen.wait(60)
    finally:
        first.stop()
    assert not AsyncResult(result.id, app=app).ready()

    second = start_worker("worker", "celery", tmp_path / "second", dict(os.environ))
    try:
        assert AsyncResult(result.id, app=app).get(timeout=60)["status"] == "ok"
    finally:
        second.stop()
    assert len(http_server.hits(path)) == 2
    assert [run.status for run in runs(engine)] == ["failed", "ok"]  # cut short, then done
    assert events(engine) == FEED_EVENTS
