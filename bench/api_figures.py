"""The API's speed: `GET /events` and `GET /events.ics` beside `GET /health`, over HTTP.

The real API runs as the Procfile runs it (uvicorn workers) against the bench's
database, once it holds the preloaded occurrences (a million in the full run)
and a dense month of one source. The same load tool measures every endpoint:
httpx, one client sending requests one after another for latency, and a
thread pool of clients, each with its own connection, for requests per second.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from almanac.db.event_queries import STATUSES, OccurrenceFilters, feed_rows, list_query
from bench.fixtures import preload_dense_month, preload_occurrences, settle
from bench.output import Figure
from bench.plan import NOW
from bench.runner import BenchError, BenchRun
from tests.support.processes import free_port, start_from_procfile

START_TIMEOUT = 60.0
WEEK = timedelta(days=7)
MONTH = timedelta(days=30)
PAGE = 50
DENSE_START = NOW + timedelta(days=60)
"""Where the dense month begins: among the preloaded occurrences, not beside them."""
QUICK_PRELOAD = {"sources": 5, "events_per_source": 200, "per_event": 10}
"""A small database for --quick, so its API figures have something to read."""


def measure_api(run: BenchRun) -> None:
    plan = run.plan
    if plan.preload_sources is None:
        made = preload_occurrences(run.engine, NOW, **QUICK_PRELOAD)
        run.say(f"api: preloaded {made} occurrences")
    dense_slug, dense = preload_dense_month(
        run.engine, DENSE_START, events=plan.dense_events, per_event=10
    )
    settle(run.engine)
    stored = _count(run.engine, "SELECT count(*) FROM occurrences")
    run.say(f"api: {stored} occurrences stored; {dense} in the dense month of {dense_slug}")
    uses = _explain(run, stored)
    rng = random.Random(7)
    with api_server(run) as base, httpx.Client(base_url=base, timeout=30.0) as client:
        for path in ("/health", _events_path(NOW)):  # the first request of each warms up
            _get(client, path)
        health_ms = _latencies(client, lambda: "/health", plan.api_requests)
        events_ms = _latencies(client, lambda: _events_path(_week_start(rng)), plan.api_requests)
        rounds = sorted(
            _paired_throughput(base, plan.api_clients, plan.api_seconds)
            for _ in range(plan.api_rounds)
        )
        _, events_rps, health_rps = rounds[len(rounds) // 2]
        ics_ms, ics_count = _feed_builds(client, dense_slug, plan.feed_builds)
    query_ms, serialize_ms = _feed_parts(run, dense_slug)
    p50, p99 = _percentile(events_ms, 50), _percentile(events_ms, 99)
    run.say(
        f"api: /events p50 {p50:.1f} ms p99 {p99:.1f} ms, {events_rps:.0f} req/s; "
        f"/health p50 {_percentile(health_ms, 50):.1f} ms, {health_rps:.0f} req/s; "
        f"/events.ics {ics_count} occurrences in {ics_ms:.0f} ms"
    )
    sequential = (
        f"{len(events_ms)} sequential requests from one client, 7-day windows spread over "
        f"the stored year, limit={PAGE}; {stored} occurrences stored, vacuumed after the "
        "ingests as autovacuum leaves them; "
    )
    run.emit(
        Figure(
            "api.events.p50_ms",
            p50,
            "ms",
            target="< 20",
            events=stored,
            note=sequential
            + f"/health p50 {_percentile(health_ms, 50):.2f} ms; query plan: {uses}",
        )
    )
    run.emit(
        Figure(
            "api.events.p99_ms",
            p99,
            "ms",
            target="< 50",
            events=stored,
            note=sequential + f"/health p99 {_percentile(health_ms, 99):.2f} ms",
        )
    )
    run.emit(
        Figure(
            "api.events.rps_vs_health",
            events_rps,
            "req/s",
            baseline=health_rps,
            target=">= 0.25",
            events=stored,
            note=f"{plan.api_clients} concurrent clients (threads, a connection each) "
            f"for {plan.api_seconds:g}s per endpoint; the Procfile's API, "
            f"{run.settings.api_workers} uvicorn workers; the baseline is GET /health's "
            f"req/s, measured right before; the median of {len(rounds)} such pairs "
            f"(events/health req/s: {', '.join(f'{e:.0f}/{h:.0f}' for _, e, h in rounds)})",
        )
    )
    run.emit(
        Figure(
            "api.events_ics.month_ms",
            ics_ms,
            "ms",
            target="< 500",
            events=ics_count,
            note=f"median of {plan.feed_builds} cold builds of a 30-day feed of one source "
            f"({ics_count} occurrences); each URL is new (an unused query parameter "
            "differs), so the in-process feed cache never answers; the same feed in the "
            f"bench's process: its query {query_ms:.0f} ms, iCalendar serialization "
            f"{serialize_ms:.0f} ms",
        )
    )


@contextmanager
def api_server(run: BenchRun) -> Iterator[str]:
    """The Procfile's API (`ALMANAC_API_WORKERS` uvicorn workers) on a free port;
    yields its base URL; stopped by its PID."""
    port = free_port()
    env = dict(os.environ) | {"ALMANAC_API_PORT": str(port)}
    extra = ["--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"]
    server = start_from_procfile("api", run.workdir, env, extra)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.popen.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"the API did not start:\n{server.output()[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        server.stop()


def _events_path(start: datetime) -> str:
    end = start + WEEK
    return f"/events?start={_iso(start)}&end={_iso(end)}&limit={PAGE}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _week_start(rng: random.Random) -> datetime:
    """A 7-day window somewhere in the preloaded year, at a whole hour."""
    return NOW + timedelta(hours=rng.randrange(0, 350 * 24))


def _get(client: httpx.Client, path: str) -> httpx.Response:
    response = client.get(path)
    if response.status_code != 200:
        raise BenchError(f"GET {path}: {response.status_code} {response.text[:500]}")
    return response


def _latencies(client: httpx.Client, path: Callable[[], str], requests: int) -> list[float]:
    """Milliseconds of each of `requests` requests sent one after another."""
    found = []
    for _ in range(requests):
        url = path()
        started = time.perf_counter()
        _get(client, url)
        found.append((time.perf_counter() - started) * 1000)
    return found


def _paired_throughput(base: str, clients: int, seconds: float) -> tuple[float, float, float]:
    """(ratio, events req/s, health req/s): `GET /health`, then `GET /events` right after
    it, each for `seconds`. The machine's speed drifts from one minute to the next, and
    /health's rate, the lighter, swings the most: a pair shares its moment."""
    health = _throughput(base, lambda _rng: "/health", clients, seconds)
    events = _throughput(base, lambda r: _events_path(_week_start(r)), clients, seconds)
    return events / health, events, health


def _throughput(
    base: str, path: Callable[[random.Random], str], clients: int, seconds: float
) -> float:
    """Requests per second that `clients` clients, each sending one at a time, got done."""
    stop = threading.Event()
    barrier = threading.Barrier(clients + 1)

    def client_loop(number: int) -> int:
        rng = random.Random(number)
        done = 0
        with httpx.Client(base_url=base, timeout=30.0) as client:
            _get(client, path(rng))  # connected before the clock starts
            barrier.wait()
            while not stop.is_set():
                _get(client, path(rng))
                done += 1
        return done

    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(client_loop, n) for n in range(clients)]
        barrier.wait()
        started = time.perf_counter()
        time.sleep(seconds)
        stop.set()
        total = sum(f.result() for f in futures)
        elapsed = time.perf_counter() - started
    return total / elapsed


def _feed_builds(client: httpx.Client, slug: str, builds: int) -> tuple[float, int]:
    """Median milliseconds of `builds` cold builds of the dense month's feed; its VEVENTs."""
    timings, count = [], 0
    path = f"/events.ics?source={slug}&start={_iso(DENSE_START)}&end={_iso(DENSE_START + MONTH)}"
    for number in range(builds):
        started = time.perf_counter()
        response = _get(client, f"{path}&cold={time.time_ns()}-{number}")
        timings.append((time.perf_counter() - started) * 1000)
        count = response.text.count("BEGIN:VEVENT")
    return statistics.median(timings), count


def _feed_parts(run: BenchRun, slug: str) -> tuple[float, float]:
    """Milliseconds of the dense month's query and of its serialization, run in process."""
    from almanac.api.ical_export import feed_calendar

    with Session(run.engine) as session:
        source_id = session.execute(
            text("SELECT id FROM sources WHERE slug = :slug"), {"slug": slug}
        ).scalar_one()
        filters = OccurrenceFilters(
            start=DENSE_START, end=DENSE_START + MONTH, source_ids=[source_id], statuses=STATUSES
        )
        started = time.perf_counter()
        rows = feed_rows(session, filters)
        queried = time.perf_counter()
        feed_calendar(rows, name="Almanac", domain="almanac.example")
        done = time.perf_counter()
    return (queried - started) * 1000, (done - queried) * 1000


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _explain(run: BenchRun, stored: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the list's query, printed; returns the indexes it used."""
    start = NOW + timedelta(days=120)
    query = list_query(OccurrenceFilters(start=start, end=start + WEEK), limit=PAGE)
    compiled = query.compile(
        dialect=run.engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    with run.engine.connect() as conn:
        lines = [
            row[0]
            for row in conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params
            )
        ]
    run.say(f"api: the plan of GET /events' query ({stored} occurrences stored):")
    for line in lines:
        print(f"    {line}", file=sys.stderr, flush=True)
    used = sorted(
        {
            match.group(1)
            for line in lines
            if (match := re.search(r"(?:Index Only Scan|Index Scan) using (\S+)", line))
            or (match := re.search(r"Bitmap Index Scan on (\S+)", line))
        }
    )
    scans = sorted(
        {
            "seq scan on " + line.split("Seq Scan on ", 1)[1].split()[0]
            for line in lines
            if "Seq Scan on " in line
        }
    )
    total = next((line for line in lines if line.startswith("Execution Time")), "")
    described = f"indexes {', '.join(used)}" if used else "no index"
    if scans:
        described += f"; {', '.join(scans)} too"
    return f"{described}; {total.lower()}" if total else described
