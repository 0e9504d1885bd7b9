"""A real Celery worker process, tasks sent to it, and what it costs in memory and CPU."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.measure import peak_rss_mb
from tests.support.processes import Process

SCRAPE_SOURCE = "almanac.scrape_source"
START_TIMEOUT = 60.0


@contextmanager
def celery_worker(
    log_dir: Path,
    name: str,
    *,
    pool: str | None = "solo",
    concurrency: int = 1,
    env: dict[str, str] | None = None,
) -> Iterator[Process]:
    """`celery -A almanac.worker worker --pool POOL`, answering pings; stopped by its PID.

    With `pool` None, the worker's own pool (`almanac.worker.celery_app.POOL`), as the
    Procfile's worker has it."""
    from almanac.worker import app

    argv = [sys.executable, "-m", "celery", "-A", "almanac.worker", "worker"]
    argv += [] if pool is None else ["--pool", pool]
    argv += ["--concurrency", str(concurrency)]
    argv += ["--queues", "scrape,default", "--loglevel", "WARNING"]
    argv += ["--hostname", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle"]
    worker = Process(name, argv, log_dir, dict(os.environ) | (env or {}))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not app.control.ping(timeout=0.5):
            if worker.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{worker.output()[-3000:]}")
        yield worker
    finally:
        worker.stop()


def scrape_in_worker(worker: Process, slug: str, timeout: float) -> tuple[float, dict[str, Any]]:
    """Send `almanac.scrape_source` for `slug`; returns (seconds to the result, the result)."""
    from almanac.worker import app

    started = time.perf_counter()
    result = app.send_task(SCRAPE_SOURCE, kwargs={"source": slug})
    try:
        summary: dict[str, Any] = result.get(timeout=timeout)
    except Exception as exc:
        raise RuntimeError(f"the worker's scrape failed: {exc}\n{worker.output()[-3000:]}") from exc
    return time.perf_counter() - started, summary


def worker_peak_rss_mb(worker: Process) -> float:
    return peak_rss_mb(worker.pid)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process and its live children have used so far.

    A worker does its tasks in child processes (unless solo): their time counts too.
    """
    return sum(_own_cpu_seconds(process) for process in [pid, *_children(pid)])


def _own_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # a child that has just ended
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for tasks in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in tasks.read_text().split()]
    return found
