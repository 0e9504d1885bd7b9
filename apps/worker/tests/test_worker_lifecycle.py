"""A real worker stopped, killed and held to its limits: no task is lost or run twice.

Each worker here is started from the Procfile line, with the settings under
test in its environment, and stopped by its PID.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from almanac.db.models import Source, TaskRun
from almanac.worker import app
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import Process, wait_until
from tests.support.workers import FEED_EVENTS, events, runs, slow_source, start_worker

TIME_LIMIT = 10


@pytest.fixture(scope="module")
def limited_worker(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Process]:
    """A worker whose processes are replaced after each task, with a 10 s time limit."""
    settings = {
        "ALMANAC_WORKER_MAX_TASKS_PER_CHILD": "1",
        "ALMANAC_TASK_TIME_LIMIT_SECONDS": str(TIME_LIMIT),
    }
    logs = tmp_path_factory.mktemp("limited-worker")
    worker = start_worker("worker", "celery", logs, dict(os.environ) | settings)
    yield worker
    worker.stop()


def _pool_pids() -> set[int]:
    stats = app.control.inspect(timeout=2).stats() or {}
    return {pid for worker in stats.values() for pid in worker["pool"]["processes"]}


def test_a_killed_worker_process_gets_its_task_delivered_again(
    limited_worker: Process, committed_db: None, engine: Engine, http_server: LocalHTTPServer
) -> None:
    path = slow_source(engine, http_server, delay=3)
    result = app.send_task("almanac.scrape_source", kwargs={"source": "slow-hall"})
    wait_until(lambda: bool(http_server.hits(path)), 30, "the scrape to start")

    active = app.control.inspect(timeout=2).active() or {}
    (pid,) = [t["worker_pid"] for tasks in active.values() for t in tasks if t["id"] == result.id]
    os.kill(pid, signal.SIGKILL)

    assert result.get(timeout=60)["counts"]["created"] == FEED_EVENTS
    assert len(http_server.hits(path)) == 2
    first, second = runs(engine)
    assert (first.task_id, second.task_id) == (result.id, result.id)
    assert first.status == "failed"
    assert first.message is not None
    assert first.message.startswith("interrupted")
    assert second.status == "ok"
    assert events(engine) == FEED_EVENTS
    assert limited_worker.popen.poll() is None, "the worker itself died"

    def state() -> str | None:
        with Session(engine) as session:
            return session.scalar(select(TaskRun.state).where(TaskRun.task_id == result.id))

    wait_until(lambda: state() == "success", 10, "the task's run history to say success")


def test_each_worker_process_is_replaced_after_its_tasks(limited_worker: Process) -> None:
    size = len(_pool_pids())
    for _ in range(3):
        before = _pool_pids()
        assert app.send_task("almanac.health_check").get(timeout=30)["status"] == "ok"
        wait_until(lambda before=before: _pool_pids() - before, 30, "a new worker process")
    assert len(_pool_pids()) == size  # the pool keeps its size


def test_a_scrape_past_its_time_limit_is_stopped_and_the_worker_goes_on(
    limited_worker: Process, committed_db: None, engine: Engine, http_server: LocalHTTPServer
) -> None:
    slow_source(engine, http_server, delay=TIME_LIMIT + 20)
    # This process knows the task with the default limits and would send them
    # along; sent without, the message runs under the worker's own.
    result = app.send_task(
        "almanac.scrape_source",
        kwargs={"source": "slow-hall"},
        soft_time_limit=None,
        time_limit=None,
    )
    with pytest.raises(Exception, match="SoftTimeLimitExceeded"):
        result.get(timeout=TIME_LIMIT + 30)
    (run,) = runs(engine)
    assert run.status == "failed"
    assert run.duration_seconds is not None
    assert run.duration_seconds < TIME_LIMIT + 5
    with Session(engine) as session:
        source = session.scalars(select(Source).where(Source.slug == "slow-hall")).one()
        assert source.scrape_task_id is None  # the lease was given back
    assert app.send_task("almanac.health_check").get(timeout=30)["status"] == "ok"


def _private_mib(pid: int) -> float | None:
    """Memory the process does not share with the others (its own copies of pages);
    None if it has just ended."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            lines = rollup.readlines()
    except (FileNotFoundError, ProcessLookupError):
        return None
    (line,) = [line for line in lines if line.startswith("Private_Dirty:")]
    return int(line.split()[1]) / 1024


def test_the_pool_processes_share_what_the_worker_loaded(limited_worker: Process) -> None:
    """Each pool process, even one forked after tasks have run, keeps the worker's
    loaded modules shared rather than copying them (about 70 MB each when it did)."""
    assert app.send_task("almanac.health_check").get(timeout=30)["status"] == "ok"
    private = {pid: _private_mib(pid) for pid in _pool_pids()}
    measured = {pid: mib for pid, mib in private.items() if mib is not None}
    assert measured, "no pool process to measure"
    assert max(measured.values()) < 40, f"MiB of their own, by process: {measured}"
