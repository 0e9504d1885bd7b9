"""A worker asked to stop (SIGTERM, as `docker compose stop` and Ctrl-C in
`make dev` do) finishes the scrape it is running before it exits."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from celery.result import AsyncResult
from sqlalchemy import Engine

from almanac.worker import app
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import wait_until
from tests.support.workers import FEED_EVENTS, events, runs, slow_source, start_worker


def test_sigterm_lets_the_running_scrape_finish_before_the_worker_exits(
    database_url: str,
    redis_url: str,
    committed_db: None,
    engine: Engine,
    http_server: LocalHTTPServer,
    tmp_path: Path,
) -> None:
    worker = start_worker("worker", "celery", tmp_path, dict(os.environ))
    try:
        path = slow_source(engine, http_server, delay=4)
        result = app.send_task("almanac.scrape_source", kwargs={"source": "slow-hall"})
        wait_until(lambda: bool(http_server.hits(path)), 30, "the scrape to start")
        os.kill(worker.pid, signal.SIGTERM)
        assert worker.popen.wait(60) == 0, worker.output()
    finally:
        worker.stop()
    assert AsyncResult(result.id, app=app).get(timeout=5)["status"] == "ok"
    (run,) = runs(engine)
    assert run.status == "ok"
    assert events(engine) == FEED_EVENTS
    assert "Warm shutdown" in worker.output()
