"""Sizes and surroundings: 1k and 100k feeds, a real worker's memory, a full database."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.fixtures import new_source, preload_occurrences
from bench.measure import peak_rss_mb
from bench.output import Figure
from bench.plan import NOW
from bench.runner import BenchError, BenchRun
from bench.worker import celery_worker, scrape_in_worker, worker_peak_rss_mb

WORKER_TIMEOUT = 300.0
FULL_DATABASE_RESERVE = 180.0
"""Seconds kept for preloading the full database, ingesting into it, and the API's figures."""
MIN_LARGE_SECONDS = 60.0
LARGE_RUNS = 2
"""First ingests of the large feed, the better of which is printed."""


def measure_small_feed(run: BenchRun) -> None:
    events, runs = run.plan.small_events, run.plan.small_runs
    url = run.serve_feed("/feed-small.ics", events, etag=False)
    timings, _ = run.first_ingests(url, "small", events, runs)
    run.emit(
        Figure(
            "ical.events_per_s.1k",
            events / timings.best,
            "events/s",
            events=events,
            note=f"best of {runs} first ingests",
        )
    )


def measure_worker_memory(run: BenchRun) -> None:
    """A real worker ingests the main feed; its peak RSS is read from /proc.

    The task runs with the real clock, so this feed is dated from today.
    """
    events = run.plan.events
    today = datetime.now(UTC)
    url = run.serve_feed("/feed-worker.ics", events, anchor=today, etag=False)
    slug = new_source(run.engine, url, "worker")
    with celery_worker(run.workdir, "bench-worker") as worker:
        before = worker_peak_rss_mb(worker)
        seconds, result = scrape_in_worker(worker, slug, WORKER_TIMEOUT)
        peak = worker_peak_rss_mb(worker)
    run.say(f"worker: {result['status']} in {seconds:.2f}s, peak RSS {before:.0f} → {peak:.0f} MiB")
    if result["counts"]["created"] == 0:
        raise BenchError(f"the worker's run stored nothing: {result}")
    if result["status"] != "ok" or result["counts"]["created"] != events:
        run.warn(f"the worker's run: {result['status']}, created {result['counts']['created']}")
    run.emit(
        Figure(
            "ical.peak_rss_mb",
            peak,
            "MiB",
            target="< 250",
            events=events,
            note=f"VmHWM of a --pool solo worker after one scrape_source task; "
            f"{before:.0f} MiB before the task",
        )
    )
    run.server.routes.pop("/feed-worker.ics", None)


def measure_large_feed(run: BenchRun) -> None:
    """The large feed, ingested in a process of its own so its memory is its own.

    Like the 10k rate it is compared with (the best of several first ingests), it is
    the better of `LARGE_RUNS` first ingests, each into a new source, as long as the
    time the bench has left allows (keeping some for the full database); if that
    runs out a child is stopped and the rate printed is an upper bound.
    """
    events = run.plan.large_events
    if events is None:
        return
    url = run.serve_feed("/feed-large.ics", events, etag=False)
    reports: list[dict[str, Any]] = []
    for number in range(LARGE_RUNS):
        allowed = max(run.remaining() - FULL_DATABASE_RESERVE, MIN_LARGE_SECONDS)
        if reports and allowed < 2 * reports[-1]["seconds"]:
            break
        slug = new_source(run.engine, url, f"large-{number + 1}")
        run.say(f"large feed: {events} events, in a child process, for at most {allowed:.0f}s")
        report = _ingest_in_child(slug, allowed)
        if report.get("created") == 0:
            raise BenchError(f"the large ingest stored nothing: {report}")
        if report["status"] != "ok" or report.get("created") != events:
            run.warn(f"the large ingest: {report['status']}, created {report.get('created')}")
        run.say(f"large feed: {report['seconds']:.1f}s, peak RSS {report['peak_rss_mb']:.0f} MiB")
        reports.append(report)
        if report["status"] == "stopped":
            break
    run.server.routes.pop("/feed-large.ics", None)
    best = min(reports, key=lambda r: float(r["seconds"]))
    ten_k = run.figures.get("ical.events_per_s.10k")
    note = f"best of {len(reports)} first ingests, each in a child process"
    if best["status"] == "stopped":
        note = f"stopped after {best['seconds']:.0f}s to keep to the time budget: an upper bound"
    run.emit(
        Figure(
            "ical.events_per_s.100k",
            events / best["seconds"],
            "events/s",
            baseline=ten_k.value if ten_k else None,
            target=">= 0.8" if ten_k else None,
            events=events,
            note=note,
        )
    )
    run.emit(
        Figure(
            "ical.peak_rss_mb.100k",
            max(float(r["peak_rss_mb"]) for r in reports),
            "MiB",
            events=events,
            note="VmHWM of the child process that ran scrape_source (the larger of the runs)"
            + (" (when it was stopped)" if best["status"] == "stopped" else ""),
        )
    )


def _ingest_in_child(slug: str, timeout: float) -> dict[str, Any]:
    """`python -m bench.ingest_once`; stopped by its PID if it takes longer than `timeout`."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.ingest_once", slug, NOW.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        peak = peak_rss_mb(child.pid)
        child.kill()
        child.communicate()
        return {
            "status": "stopped",
            "seconds": time.perf_counter() - started,
            "peak_rss_mb": peak,
        }
    if child.returncode != 0:
        raise BenchError(f"the large ingest crashed:\n{err[-3000:]}")
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return report


def measure_full_database(run: BenchRun) -> None:
    """The main feed's first ingest again, with a million other occurrences stored."""
    plan = run.plan
    if plan.preload_sources is None:
        return
    empty = run.figures["ical.first_ingest.events_per_s"]
    run.say("preloading other sources' events and occurrences")
    made = preload_occurrences(
        run.engine,
        NOW,
        sources=plan.preload_sources,
        events_per_source=plan.preload_events_per_source,
        per_event=plan.preload_occurrences_per_event,
    )
    run.say(f"preloaded {made} occurrences")
    url = run.serve_feed("/feed.ics", plan.events, etag=False)
    timings, _ = run.first_ingests(url, "full-db", plan.events, plan.ingest_runs)
    run.emit(
        Figure(
            "ical.first_ingest.vs_empty_db",
            plan.events / timings.best,
            "events/s",
            baseline=empty.value,
            target=">= 0.8",
            events=plan.events,
            note=f"best of {plan.ingest_runs}; {made} occurrences of other sources stored",
        )
    )
