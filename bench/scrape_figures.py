"""Web sources: one large site scraped in process, and many sites scraped by a real worker.

Every page is served 50 ms late by `bench.site_server`. The pipeline may ask a
host for two pages at once and need not space them, so the best a scrape of P
pages of one host can do is P × 0.05 / 2 seconds.

The many sites are scraped three times, each time as new sources by a worker
just started, and each scrape right after a bare fetch of the same pages, its
bound: the figure is the median of these pairs. On a shared machine the speed
of the same work drifts by a third from one minute to the next; a scrape
compared with a bound measured a minute before, or one noisy run on either
side, would otherwise decide the figure.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import redis

from almanac.core.domain import Trigger
from almanac.core.settings import Settings
from almanac.pipeline.robots import KEY_PREFIX as ROBOTS_KEY_PREFIX
from almanac.pipeline.scrape import scrape_source
from bench.bare_fetch import bare_fetch
from bench.fixtures import new_web_source, stored_events
from bench.measure import timed
from bench.output import Figure
from bench.runner import BenchError, BenchRun
from bench.site_costs import crawl_floor_seconds, parse_seconds
from bench.site_pages import DETAIL_LINKS
from bench.site_server import Sites, serving_sites
from bench.worker import SCRAPE_SOURCE, celery_worker, cpu_seconds

LATENCY = 0.05
PER_HOST = 2
POLITENESS = {
    "host_max_concurrency": PER_HOST,
    "host_min_interval_seconds": 0.0,
    "allow_private_networks": True,
}
WORKER_POOL = None
WORKER_CONCURRENCY = Settings.model_fields["worker_concurrency"].default
"""The Procfile's worker, as `make dev` runs it: its own pool, of one process per core,
scraping up to this many sources at once among them; each site needs about 0.6 s
whatever the CPU (robots.txt and its listings one after another)."""
WORKER_TIMEOUT = 300.0
CONFIG = {"detail_links": DETAIL_LINKS}


def measure_web_sites(run: BenchRun) -> None:
    """Host 127.0.0.1 is the large site; 127.0.0.2 onwards are the many small ones."""
    anchor = datetime.now(UTC).date()
    with serving_sites(1 + run.plan.sites, LATENCY, anchor) as sites:
        _one_large_site(run, sites)
        _many_sites_in_a_worker(run, sites)


def _polite(settings: Settings) -> Settings:
    return settings.model_copy(update=POLITENESS)


def _one_large_site(run: BenchRun, sites: Sites) -> None:
    shape, origin = run.plan.site, sites.origin(1)
    settings = _polite(run.settings)
    reading = parse_seconds(shape, [origin], bare_fetch(shape.page_urls(origin)).bodies, settings)
    slug = new_web_source(run.engine, shape.listing_url(origin), "site", CONFIG)
    call = partial(
        scrape_source,
        run.ingest.sessions,
        settings,
        slug,
        trigger=Trigger.CLI,
        now=datetime.now(UTC),
    )
    seconds, summary = timed(call)
    stored = stored_events(run.engine, [slug])
    waited = summary.fetch_trace.get("waited_seconds", 0.0)
    run.say(
        f"site: {shape.pages} pages, {summary.status} in {seconds:.2f}s, {summary.requests} "
        f"requests, {stored} events stored; parsing alone: listings {reading.listings:.2f}s, "
        f"event pages {reading.events:.2f}s"
    )
    _check(run, "the site", str(summary.status), stored, shape.events, summary.message)
    floor = crawl_floor_seconds(shape, LATENCY, PER_HOST)
    run.emit(
        Figure(
            "scrape.site200.vs_ideal",
            seconds,
            "s",
            baseline=shape.pages * LATENCY / PER_HOST,
            target="<= 1.3",
            events=stored,
            note=f"{shape.pages} pages ({shape.listings} listings of {shape.per_listing} events "
            f"and a page per event), {summary.requests} requests, {waited:.2f}s waiting for the "
            f"host gate; the crawl's own floor {floor:.2f}s (robots.txt, listings one after "
            f"another, event pages {PER_HOST} at a time); parsing alone takes "
            f"{reading.listings:.2f}s for the listings (read between their fetches) and "
            f"{reading.events:.2f}s for the event pages (each read by the thread that fetched "
            f"it, before its next fetch)",
        )
    )


def _many_sites_in_a_worker(run: BenchRun, sites: Sites) -> None:
    shape, count = run.plan.sites_shape, run.plan.sites
    origins = [sites.origin(host) for host in range(2, 2 + count)]
    pages = count * shape.pages
    urls = [url for origin in origins for url in shape.page_urls(origin)]
    ideal = shape.pages * LATENCY / PER_HOST
    pairs = []
    for _ in range(run.plan.sites_runs):
        fetch = bare_fetch(urls)
        pairs.append((_scrape_fresh_sources(run, origins), max(ideal, fetch.seconds), fetch))
    pairs.sort(key=lambda pair: pair[0].seconds / pair[1])
    median, bound, fetch = pairs[len(pairs) // 2]
    bare = fetch.seconds
    reading = parse_seconds(shape, origins, fetch.bodies, _polite(run.settings))
    stored = stored_events(run.engine, median.slugs)
    statuses = sorted({str(r["status"]) for r in median.results})
    requests = sum(int(r["requests"]) for r in median.results)
    times = ", ".join(f"{scrape.seconds:.2f}/{paired.seconds:.2f}" for scrape, _, paired in pairs)
    run.say(
        f"{count} sites: {', '.join(statuses)} in {median.seconds:.2f}s (runs/bare: {times}s), "
        f"{requests} requests, {stored} events stored, worker CPU {median.cpu:.1f}s; "
        f"bare fetch {bare:.2f}s, parsing every page alone {reading.total:.2f}s"
    )
    bad = [r for r in median.results if r["status"] != "ok"]
    message = str(bad[0]["message"]) if bad else None
    _check(run, f"the {count} sites", ", ".join(statuses), stored, count * shape.events, message)
    floor = math.ceil(count / WORKER_CONCURRENCY) * crawl_floor_seconds(shape, LATENCY, PER_HOST)
    run.emit(
        Figure(
            "scrape.sites50.vs_bound",
            median.seconds,
            "s",
            baseline=bound,
            target="<= 1.3",
            events=stored,
            note=f"{count} sites of {shape.pages} pages, a worker of concurrency "
            f"{WORKER_CONCURRENCY} ({os.cpu_count()} cores); the median of {len(pairs)} "
            f"scrapes, each of new sources by a new worker, robots.txt fetched anew, and "
            f"each right after a bare httpx fetch of the same pages, its bound (scrape/bare: "
            f"{times}s); per-host ideal {ideal:.2f}s; the crawl's own floor {floor:.2f}s "
            f"({WORKER_CONCURRENCY} sources at a time); the worker used {median.cpu:.1f}s of "
            f"CPU ({median.cpu / pages * 1000:.1f} ms a page, all its processes), "
            f"parsing every page alone takes {reading.total:.2f}s",
        )
    )
    run.emit(
        Figure(
            "scrape.pages_per_s",
            pages / median.seconds,
            "pages/s",
            note=f"{pages} pages of {count} sites through one worker ({requests} requests "
            f"with robots.txt); the bare fetch did {pages / bare:.0f} pages/s",
        )
    )


@dataclass(frozen=True, slots=True)
class _Scrape:
    slugs: list[str]
    seconds: float
    results: list[dict[str, Any]]
    cpu: float


def _scrape_fresh_sources(run: BenchRun, origins: list[str]) -> _Scrape:
    """A source per origin, never fetched, scraped by a worker just started, with no
    robots.txt known yet: each run does what the first did."""
    shape = run.plan.sites_shape
    slugs = [new_web_source(run.engine, shape.listing_url(o), "sites", CONFIG) for o in origins]
    _forget_robots(run.settings.redis_url)
    seconds, results, cpu = _scrape_in_one_worker(run, slugs)
    return _Scrape(slugs, seconds, results, cpu)


def _forget_robots(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{ROBOTS_KEY_PREFIX}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _scrape_in_one_worker(
    run: BenchRun, slugs: list[str]
) -> tuple[float, list[dict[str, Any]], float]:
    """The Procfile's worker scrapes every slug: (seconds, results, its CPU seconds)."""
    env = {f"ALMANAC_{name.upper()}": str(value).lower() for name, value in POLITENESS.items()}
    with celery_worker(
        run.workdir,
        "bench-scrape-worker",
        pool=WORKER_POOL,
        concurrency=WORKER_CONCURRENCY,
        env=env,
    ) as worker:
        cpu_before = cpu_seconds(worker.pid)
        seconds, results = _scrape_together(slugs)
        return seconds, results, cpu_seconds(worker.pid) - cpu_before


def _scrape_together(slugs: list[str]) -> tuple[float, list[dict[str, Any]]]:
    """Send one `almanac.scrape_source` per slug at once; seconds until the last result."""
    from almanac.worker import app

    started = time.perf_counter()
    sent = [app.send_task(SCRAPE_SOURCE, kwargs={"source": s, "trigger": "cli"}) for s in slugs]
    deadline = started + WORKER_TIMEOUT
    results: list[dict[str, Any]] = []
    for result in sent:
        try:
            results.append(result.get(timeout=max(deadline - time.perf_counter(), 1.0)))
        except Exception as exc:
            raise BenchError(f"a scrape in the worker failed: {type(exc).__name__}: {exc}") from exc
    return time.perf_counter() - started, results


def _check(
    run: BenchRun, what: str, status: str, stored: int, expected: int, message: str | None
) -> None:
    if stored == 0:
        raise BenchError(f"scraping {what} stored nothing ({status}): {message}")
    if status != "ok" or stored != expected:
        run.warn(f"scraping {what}: {status}, {stored} of {expected} events stored: {message}")
