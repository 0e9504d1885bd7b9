"""Load: 200 venues on 20 hosts, scraped together by two real workers while the real
API serves readers. Every run ends well, every host is spared as Almanac promises
(measured at the hosts' own server), and readers are answered throughout."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almanac.core import tasks
from almanac.core.settings import Settings
from almanac.db.models import ScrapeRun
from bench.served_requests import read_served
from bench.site_server import serving_sites
from tests.support import fault_figures
from tests.support.fault_suite import database_url_with_password
from tests.support.host_load import host_loads
from tests.support.load_sites import add_sources, load_sources
from tests.support.load_stack import QUEUE, load_stack
from tests.support.processes import wait_until
from tests.support.read_load import ReadLoad, ReadTimes

pytestmark = pytest.mark.faults

HOSTS = 20
LATENCY = 0.25
"""Each answer's delay: longer than two intervals, so that without the concurrency limit
a host would be asked for three pages at once."""
MIN_INTERVAL = 0.1
MAX_CONCURRENCY = 2
GAP_TOLERANCE = 0.005
"""The server notes each request as the kernel stamped its arrival, however late its
process reads it; the gate counts time in whole milliseconds. (Noted as the server got
round to reading them, on two cores busy with the workers, the API and PostgreSQL, two
requests sent 100 ms apart were once noted 8 ms apart.)"""
READERS = 4
READS_PER_SECOND = 12.5
"""Each reader's pace: 50 reads a second in all, as a busy city's apps and pages send.
(Readers that sent their next read as soon as the last was answered would keep both
cores busy by themselves, and their p99 would be their own queue.)"""
P99_TARGET_MS = 100.0
"""Almanac's aim for readers during a scrape, printed beside what was measured. Held as
a test it would measure the machine: on two cores shared with the scrape, the same code
read 52 to 330 ms from one run to the next."""
P99_LIMIT_MS = 1000.0
"""What the test holds: readers are still answered while every source is scraped, not
left waiting behind the scrape (a full run of the suite measured up to 330 ms)."""
SCRAPE_TIMEOUT = 120.0
WORKER_NICENESS: int = Settings.model_fields["worker_niceness"].default
"""Almanac's default, left as it is: scrapes leave the CPU to the API's readers first."""


def _worker_env(hosts: list[str]) -> dict[str, str]:
    """Private networks refused but for the sites' hosts; limits that keep the run short
    and still make the gate hold requests back."""
    return dict(os.environ) | {
        "ALMANAC_ALLOW_PRIVATE_NETWORKS": "false",
        "ALMANAC_ALLOWED_PRIVATE_HOSTS": ",".join(hosts),
        "ALMANAC_HOST_MIN_INTERVAL_SECONDS": str(MIN_INTERVAL),
        "ALMANAC_HOST_MAX_CONCURRENCY": str(MAX_CONCURRENCY),
        "ALMANAC_TASK_MAX_RETRIES": "0",
        "DATABASE_URL": database_url_with_password(os.environ["DATABASE_URL"]),
    }


def _read_paths() -> list[str]:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    window = {"start": today.isoformat(), "end": (today + timedelta(days=14)).isoformat()}
    return [
        f"/events?{urlencode(window | {'limit': '50'})}",
        f"/events.ics?{urlencode(window)}",
        "/sources",
    ]


def _runs(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(select(ScrapeRun.status, func.count()).group_by(ScrapeRun.status))
        return {str(status): int(count) for status, count in rows}


def _per_path(times: ReadTimes, paths: list[str]) -> str:
    return ", ".join(
        f"{urlsplit(path).path} {times.percentile_ms(0.99, path):.0f}" for path in paths
    )


@pytest.mark.timeout(240)
def test_two_workers_scrape_200_sources_politely_while_the_api_reads_fast(
    engine: Engine, redis_url: str, committed_db: None, tmp_path: Path
) -> None:
    from almanac.worker import app

    record = tmp_path / "served.jsonl"
    with serving_sites(HOSTS, LATENCY, datetime.now(UTC).date(), record) as sites:
        sources = load_sources(sites)
        add_sources(engine, sources)
        hosts = sorted({s.host for s in sources})
        with load_stack(tmp_path / "logs", dict(os.environ), _worker_env(hosts)) as stack:
            niceness = {os.getpriority(os.PRIO_PROCESS, w.pid) for w in stack.workers}
            paths = _read_paths()
            reads = ReadLoad(stack.api_url, paths, READERS, READS_PER_SECOND)
            reads.warm_up()
            reads.start()
            started = time.perf_counter()
            sent = [
                app.send_task(
                    tasks.SCRAPE_SOURCE,
                    kwargs={"source": s.slug, "trigger": "cli"},
                    queue=QUEUE,
                    priority=tasks.PRIORITY_NOW,
                )
                for s in sources
            ]
            wait_until(
                lambda: all(result.ready() for result in sent), SCRAPE_TIMEOUT, "every scrape"
            )
            wall = time.perf_counter() - started
            times = reads.stop()
            failed = [r.result for r in sent if not r.successful()]
            outputs = "\n".join(w.output()[-3000:] for w in stack.workers)
            assert not failed, f"{len(failed)} scrapes failed, e.g. {failed[:3]}\n{outputs}"
    runs = _runs(engine)
    loads = host_loads(read_served(record))
    pages = sum(load.requests for load in loads.values())
    most = max(load.most_at_once for load in loads.values())
    gap = min(load.shortest_gap for load in loads.values())
    p50, p99 = times.percentile_ms(0.5), times.percentile_ms(0.99)
    print(
        f"\nload: {len(sources)} sources, {len(loads)} hosts, {pages} pages served, "
        f"wall {wall:.1f} s, max concurrency per host {most} (limit {MAX_CONCURRENCY}), "
        f"min interval {gap * 1000:.1f} ms (setting {MIN_INTERVAL * 1000:.0f} ms, "
        f"tolerance {GAP_TOLERANCE * 1000:.0f} ms), API requests {times.count} "
        f"({READERS} readers, {READERS * READS_PER_SECOND:.0f} reads/s), "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (target {P99_TARGET_MS:.0f} ms; "
        f"by path: {_per_path(times, paths)} ms)"
    )
    fault_figures.count("load_sources", len(sources))
    fault_figures.count("load_hosts", len(loads))
    fault_figures.count("load_pages", pages)
    fault_figures.count("load_wall_ms", round(wall * 1000))
    fault_figures.count("load_max_host_concurrency", most)
    fault_figures.count("load_min_host_interval_ms", round(gap * 1000))
    fault_figures.count("api_requests", times.count)
    fault_figures.count("api_p50_ms", round(p50))
    fault_figures.count("api_p99_ms", round(p99))

    assert runs == {"ok": len(sources)}, runs
    assert niceness == {WORKER_NICENESS}, "the workers run nicer than the API"
    assert len(loads) == HOSTS
    assert pages >= sum(s.pages for s in sources)
    assert most <= MAX_CONCURRENCY, {h: x.most_at_once for h, x in loads.items()}
    assert gap >= MIN_INTERVAL - GAP_TOLERANCE, {h: x.shortest_gap for h, x in loads.items()}
    assert not times.failures, times.failures[:5]
    assert times.count >= 100
    assert p99 < P99_LIMIT_MS, f"p99 {p99:.1f} ms over {times.count} reads during the scrape"
