"""A worker killed with SIGKILL at random points of a large ingest, ten times over:
each time the task is delivered again, and in the end the database holds what an
undisturbed run of the same feed leaves, once, with the history of every cut.

Eight times the pool process running the scrape is killed: Celery replaces it and
puts the task back at once. Twice the whole worker, main process included, is
killed and another started: the task comes back once the broker's visibility
timeout (5 s here) has passed since it was taken.

A second test kills one of two running workers whole: the other takes its task
once the visibility timeout has passed, without any worker starting again.

A kill that lands after a run has committed leaves its task nothing to redo; the
rest of the kills then go to a second source reading the same feed, and each
source must end as the undisturbed one. The moments are random; the test prints
its seed, and `ALMANAC_FAULT_SEED` replays one.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from celery.result import AsyncResult
from sqlalchemy import Engine

from almanac.core import tasks
from almanac.pipeline.runs import INTERRUPTED
from bench import feed
from tests.support import fault_figures
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import Process, wait_until
from tests.support.source_state import add_ical_source, run_history, stored
from tests.support.workers import FEED_EVENTS, events, slow_source, start_worker

pytestmark = pytest.mark.faults

EVENTS = 8000
POOL_KILLS = 8
WORKER_KILLS = 2
VISIBILITY_TIMEOUT = 5
MAX_SOURCES = 3
QUEUE = NODE = "worker-killed"
FEED = "/large.ics"


class KilledWorker:
    """A worker of one process on a queue of its own, started again when killed whole."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._starts = 0
        self.process = self._start()

    def _start(self) -> Process:
        self._starts += 1
        env = dict(os.environ) | {
            "ALMANAC_ALLOW_PRIVATE_NETWORKS": "true",
            "ALMANAC_TASK_MAX_RETRIES": "0",
            "ALMANAC_BROKER_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT),
        }
        extra = ["--hostname", f"{NODE}@%h", "--queues", QUEUE, "--concurrency", "1"]
        return start_worker("worker", NODE, self._log_dir / str(self._starts), env, extra)

    def pool_pid(self) -> int:
        """The worker's one pool process (the child of its main process: of whichever of
        its threads forked it, the pool replacing a process from a thread of its own)."""
        main = self.process.pid
        children = [
            child
            for thread in Path(f"/proc/{main}/task").glob("*/children")
            for child in thread.read_text().split()
        ]
        assert len(children) == 1, f"the worker has pool processes {children}"
        return int(children[0])

    def kill_whole(self) -> None:
        """Kill the worker's every process; start another once the task it held is
        visible again (a worker puts such tasks back in the queue as it starts)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.popen.wait(10)
        self.process.stop()
        time.sleep(VISIBILITY_TIMEOUT + 1)
        self.process = self._start()

    def stop(self) -> None:
        self.process.stop()


@pytest.fixture
def worker(
    database_url: str, committed_db: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KilledWorker]:
    killed = KilledWorker(tmp_path_factory.mktemp("killed-worker"))
    yield killed
    killed.stop()


@pytest.fixture
def feed_server() -> Iterator[LocalHTTPServer]:
    server = LocalHTTPServer().start()
    server.serve(FEED, feed.generate(EVENTS, datetime.now(UTC)), etag=False)
    yield server
    server.stop()


def _scrape(slug: str) -> AsyncResult:  # type: ignore[type-arg]
    from almanac.worker import app

    return app.send_task(tasks.SCRAPE_SOURCE, kwargs={"source": slug}, queue=QUEUE)


def _wait_for_attempt(server: LocalHTTPServer, result: AsyncResult, fetches: int) -> None:  # type: ignore[type-arg]
    """Until the feed has been fetched `fetches` times in all (an attempt has begun) or
    the task has ended."""
    wait_until(
        lambda: len(server.hits(FEED)) >= fetches or result.ready(),
        VISIBILITY_TIMEOUT + 60,
        f"fetch {fetches} of the feed",
    )


def test_a_worker_killed_ten_times_mid_ingest_leaves_what_an_undisturbed_run_leaves(
    engine: Engine, worker: KilledWorker, feed_server: LocalHTTPServer
) -> None:
    url = feed_server.url(FEED)
    add_ical_source(engine, "undisturbed", url)
    first = _scrape("undisturbed")
    _wait_for_attempt(feed_server, first, 1)
    fetched = time.monotonic()
    assert first.get(timeout=120)["status"] == "ok"
    # From the fetch to the commit: the kills land in its first part, while the run
    # reads and writes (a kill after the commit would leave nothing to cut short).
    ingest = time.monotonic() - fetched
    undisturbed = stored(engine, "undisturbed")
    assert len(undisturbed[0]) == EVENTS

    seed = int(os.environ.get("ALMANAC_FAULT_SEED") or random.randrange(1 << 32))
    rng = random.Random(seed)
    plan = ["pool"] * POOL_KILLS + ["worker"] * WORKER_KILLS
    kills: list[str] = []
    # Should a kill land after a run's commit, the task ends at its next delivery
    # with nothing left to cut: the kills go on in a second source's first ingest.
    killed: list[tuple[str, AsyncResult]] = []  # type: ignore[type-arg]
    while len(kills) < len(plan) and len(killed) < MAX_SOURCES:
        slug = f"killed-{len(killed) + 1}"
        add_ical_source(engine, slug, url)
        fetches = len(feed_server.hits(FEED))
        result = _scrape(slug)
        killed.append((slug, result))
        for kind in plan[len(kills) :]:
            _wait_for_attempt(feed_server, result, fetches + 1)
            if result.ready():
                break
            fetches = len(feed_server.hits(FEED))
            pid = worker.pool_pid()
            time.sleep(rng.uniform(0, ingest * 0.6))
            if kind == "worker":
                worker.kill_whole()
            else:
                os.kill(pid, signal.SIGKILL)
            kills.append(kind)
        result.get(timeout=VISIBILITY_TIMEOUT + 120)
    fault_figures.count("faults_injected", len(kills))
    assert len(kills) == len(plan), f"the tasks ended after {len(kills)} kills"
    assert worker.process.popen.poll() is None, worker.process.output()

    for slug, result in killed:
        summary = result.get(timeout=VISIBILITY_TIMEOUT + 120)
        assert summary["status"] in ("ok", "not_modified"), summary
        # Same events, same occurrences, each once.
        assert stored(engine, slug) == undisturbed
        # The history shows each cut: runs closed as interrupted, and one that stored it all.
        history = run_history(engine, slug)
        statuses = [status for status, _ in history]
        print(f"\nseed {seed}: {slug}: runs {statuses}")
        assert "ok" in statuses, history
        cut = [message for status, message in history if status == "failed"]
        assert all(message == INTERRUPTED for message in cut), history
        assert set(statuses) <= {"failed", "ok", "not_modified"}, history
    print(f"seed {seed}: killed {len(kills)} times ({', '.join(kills)})")
    fault_figures.count("faults_survived", len(kills))


@pytest.fixture
def two_workers(
    database_url: str, committed_db: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Process]]:
    """Two workers of one process each on the same queue, as on two machines."""
    env = dict(os.environ) | {
        "ALMANAC_ALLOW_PRIVATE_NETWORKS": "true",
        "ALMANAC_TASK_MAX_RETRIES": "0",
        "ALMANAC_BROKER_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT),
    }
    logs = tmp_path_factory.mktemp("two-workers")
    workers: dict[str, Process] = {}
    try:
        for name in ("killed-a", "killed-b"):
            extra = ["--hostname", f"{name}@%h", "--queues", QUEUE, "--concurrency", "1"]
            workers[f"{name}@{socket.gethostname()}"] = start_worker(
                "worker", name, logs / name, env, extra
            )
        yield workers
    finally:
        for process in workers.values():
            process.stop()


def test_a_task_whose_whole_worker_died_is_taken_by_another_running_worker(
    engine: Engine, two_workers: dict[str, Process], http_server: LocalHTTPServer
) -> None:
    """No worker starts again: one still running finds the dead one's task once the
    visibility timeout has passed, at its next look (every 10 s)."""
    from almanac.worker import app

    path = slow_source(engine, http_server, delay=3)
    result = _scrape("slow-hall")
    wait_until(lambda: bool(http_server.hits(path)), 30, "the scrape to start")
    active = app.control.inspect(timeout=1).active() or {}
    (holder,) = [name for name, running in active.items() if running]
    os.killpg(two_workers[holder].pid, signal.SIGKILL)
    two_workers[holder].popen.wait(10)
    fault_figures.count("faults_injected")

    summary = result.get(timeout=VISIBILITY_TIMEOUT + 30)
    assert summary["status"] == "ok", summary
    assert summary["counts"]["created"] == FEED_EVENTS
    assert events(engine) == FEED_EVENTS
    assert len(http_server.hits(path)) == 2
    (survivor,) = [p for name, p in two_workers.items() if name != holder]
    assert survivor.popen.poll() is None, survivor.output()
    fault_figures.count("faults_survived")
