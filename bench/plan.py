"""How big and how often: the full run, and the quick one for a smoke test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bench.site_pages import SiteShape

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
"""The `now` every in-process run is given; the feeds are dated from it."""


@dataclass(frozen=True, slots=True)
class Plan:
    events: int
    """The main feed's size: parse-only, first ingest, re-ingests, worker memory."""
    ingest_runs: int
    """First ingests of the main feed, each after a parse-only run."""
    moved_runs: int
    """Re-ingests of the main feed a day later each, each after a parse-only run."""
    cheap_runs: int
    """Runs of what costs little (a 304, a body seen before): the median is kept."""
    small_events: int
    small_runs: int
    large_events: int | None
    preload_sources: int | None
    site: SiteShape
    """The one web site scraped in process: listing pages and one page per event."""
    sites: int
    """How many web sites the worker scrapes together, each on a host of its own."""
    sites_shape: SiteShape
    sites_runs: int = 3
    """Scrapes of the many sites, each by a worker of its own right after a bare fetch
    of the same pages, its bound: the median pair is the figure."""
    preload_events_per_source: int = 1_000
    preload_occurrences_per_event: int = 10
    dense_events: int = 500
    """Events of the one source whose month is dense: ten occurrences each in 30 days."""
    api_requests: int = 300
    """Sequential requests to each of `GET /health` and `GET /events` for latency."""
    api_clients: int = 8
    """Concurrent clients for requests per second."""
    api_seconds: float = 5.0
    """How long the concurrent clients send requests to each endpoint."""
    api_rounds: int = 3
    """Pairs of `/health` then `/events` under load; the median pair is the figure."""
    feed_builds: int = 5
    """Cold builds of the dense month's feed: the median is kept."""

    @property
    def quick(self) -> bool:
        return self.large_events is None


FULL = Plan(
    events=10_000,
    ingest_runs=5,
    moved_runs=3,
    cheap_runs=5,
    small_events=1_000,
    small_runs=3,
    large_events=100_000,
    preload_sources=100,
    site=SiteShape(listings=10, per_listing=19),
    sites=50,
    sites_shape=SiteShape(listings=2, per_listing=9),
)
QUICK = Plan(
    events=300,
    ingest_runs=3,
    moved_runs=2,
    cheap_runs=3,
    small_events=1_000,
    small_runs=2,
    large_events=None,
    preload_sources=None,
    site=SiteShape(listings=2, per_listing=19),
    sites=5,
    sites_shape=SiteShape(listings=2, per_listing=3),
    sites_runs=1,
    dense_events=50,
    api_requests=30,
    api_clients=4,
    api_seconds=0.5,
    api_rounds=1,
    feed_builds=2,
)
