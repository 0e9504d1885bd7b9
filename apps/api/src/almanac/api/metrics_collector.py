"""Almanac's figures for Prometheus, read when Prometheus scrapes them.

Nothing is counted in the API process: each scrape of `/metrics` runs a few
aggregate queries over the kept run history and asks Redis how long each queue
is. Task and scrape counts are totals over the history still stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from almanac.core import tasks
from almanac.db.run_figures import (
    scrape_figures,
    source_states,
    task_counts,
    task_latencies,
)

log = logging.getLogger("almanac.api.metrics")

PRIORITY_SEPARATOR = "\x06\x16"
"""How kombu's Redis transport names a queue's list for one priority: `<queue>␆␖<n>`."""
PRIORITIES = range(1, 10)
EVENT_CHANGES = ("created", "updated", "removed", "cancelled")


def known_queues() -> list[str]:
    """The queues tasks are routed to, and the default one."""
    routed = {route["queue"] for route in tasks.TASK_ROUTES.values() if "queue" in route}
    return sorted(routed | {tasks.QUEUE_DEFAULT})


def queue_lengths(redis_url: str, queues: Iterable[str]) -> dict[str, int]:
    """Messages waiting per queue, those in its priority lists included."""
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        names = list(queues)
        pipe = client.pipeline(transaction=False)
        for queue in names:
            pipe.llen(queue)
            for priority in PRIORITIES:
                pipe.llen(f"{queue}{PRIORITY_SEPARATOR}{priority}")
        lengths = [int(n) for n in pipe.execute()]
    finally:
        client.close()
    per_queue = 1 + len(PRIORITIES)
    return {
        queue: sum(lengths[i * per_queue : (i + 1) * per_queue]) for i, queue in enumerate(names)
    }


class AlmanacCollector(Collector):
    """Reads the figures from PostgreSQL and Redis at collect time."""

    def __init__(self, session: Session, redis_url: str) -> None:
        self.session = session
        self.redis_url = redis_url

    def collect(self) -> Iterator[Metric]:
        yield from self._tasks()
        yield from self._scrapes()
        yield from self._sources()
        yield from self._queues()

    def _tasks(self) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "almanac_task_runs",
            "Celery tasks in the run history, by task, source and state.",
            labels=["task", "source", "state"],
        )
        for count in task_counts(self.session):
            runs.add_metric([count.task_name, count.source, count.state], count.count)
        yield runs
        runtime = Metric(
            "almanac_task_runtime_seconds",
            "Time finished tasks spent in the worker, by task and source.",
            "summary",
        )
        for latency in task_latencies(self.session):
            labels = {"task": latency.task_name, "source": latency.source}
            for quantile, value in latency.quantiles.items():
                runtime.add_sample(
                    "almanac_task_runtime_seconds", {**labels, "quantile": str(quantile)}, value
                )
            runtime.add_sample("almanac_task_runtime_seconds_count", labels, latency.count)
            runtime.add_sample("almanac_task_runtime_seconds_sum", labels, latency.total_seconds)
        yield runtime

    def _scrapes(self) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "almanac_scrape_runs",
            "Scrape runs recorded, by source and status.",
            labels=["source", "status"],
        )
        failures = CounterMetricFamily(
            "almanac_scrape_failures",
            "Scrape runs that failed, by source.",
            labels=["source"],
        )
        events = CounterMetricFamily(
            "almanac_events_written",
            "Events scrape runs created, updated, removed or found cancelled, by source.",
            labels=["source", "change"],
        )
        failed: dict[str, int] = {}
        written: dict[tuple[str, str], int] = {}
        for figures in scrape_figures(self.session):
            runs.add_metric([figures.source, figures.status], figures.runs)
            failed.setdefault(figures.source, 0)
            if figures.status == "failed":
                failed[figures.source] += figures.runs
            for change in EVENT_CHANGES:
                key = (figures.source, change)
                written[key] = written.get(key, 0) + getattr(figures, change)
        for source, count in sorted(failed.items()):
            failures.add_metric([source], count)
        for (source, change), count in sorted(written.items()):
            events.add_metric([source, change], count)
        yield from (runs, failures, events)

    def _sources(self) -> Iterator[Metric]:
        failing = GaugeMetricFamily(
            "almanac_source_consecutive_failures",
            "Scrapes in a row that failed, by source.",
            labels=["source"],
        )
        suspect = GaugeMetricFamily(
            "almanac_source_suspect",
            "1 while a source's last scrape is held back as suspect.",
            labels=["source"],
        )
        last_run = GaugeMetricFamily(
            "almanac_source_last_run_timestamp_seconds",
            "When each source was last scraped (Unix time).",
            labels=["source"],
        )
        for state in source_states(self.session):
            failing.add_metric([state.source], state.consecutive_failures)
            suspect.add_metric([state.source], 1 if state.suspect else 0)
            if state.last_run_at is not None:
                last_run.add_metric([state.source], state.last_run_at.timestamp())
        yield from (failing, suspect, last_run)

    def _queues(self) -> Iterator[Metric]:
        try:
            lengths = queue_lengths(self.redis_url, known_queues())
        except redis.RedisError as exc:
            log.warning("queue lengths left out of the metrics: Redis: %s", exc)
            return
        waiting = GaugeMetricFamily(
            "almanac_queue_length",
            "Task messages waiting in each queue (every priority).",
            labels=["queue"],
        )
        for queue, length in lengths.items():
            waiting.add_metric([queue], length)
        yield waiting
