"""Every fetch of a run, made politely: robots.txt, per-host limits, retries, a trace."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx
import redis

from almanac.core.addresses import check_public, without_credentials
from almanac.core.errors import FetchError, FetchRefused, HTTPStatusError
from almanac.core.settings import Settings
from almanac.pipeline.fetch import FetchResult, fetch, normalize_url
from almanac.pipeline.host_gate import HostGate, HostPolicy, SlotKeeper
from almanac.pipeline.retries import backoff_seconds, retry_after_seconds
from almanac.pipeline.robots import RobotsRules

log = logging.getLogger("almanac.pipeline.fetch")

MAX_ROBOTS_BYTES = 500_000
"""The most of a robots.txt read: a longer one is read up to here (as search engines do)."""


class RobotsDisallowed(FetchRefused):
    """The site's robots.txt asks Almanac not to fetch this URL."""


@dataclass(slots=True)
class FetchTrace:
    """What a run's fetching cost: requests, bytes, statuses and time waited for politeness."""

    requests: int = 0
    bytes: int = 0
    statuses: list[int] = field(default_factory=list)
    waited_seconds: float = 0.0
    retries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "bytes": self.bytes,
            "statuses": self.statuses,
            "waited_seconds": round(self.waited_seconds, 3),
            "retries": self.retries,
        }


@cache
def _redis(url: str) -> redis.Redis[bytes]:
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


class PoliteFetcher:
    """Fetches for one run through the host gate, after robots.txt and the address check."""

    def __init__(self, settings: Settings, client: httpx.Client) -> None:
        self.settings = settings
        self.client = client
        self.trace = FetchTrace()
        self._trace_lock = threading.Lock()
        connection = _redis(settings.redis_url)
        self._gate = HostGate(connection)
        self._robots = RobotsRules(connection, self._robots_text)
        self._thread = threading.local()

    @contextmanager
    def keeping_slots(self) -> Iterator[SlotKeeper]:
        """Within the block, this thread keeps its slot on a host from one fetch to the next
        where the host has no interval to keep (`SlotKeeper`); the slot is given back when
        the block ends, or sooner by the keeper's `release`."""
        keeper = self._gate.keeper()
        self._thread.keeper = keeper
        try:
            yield keeper
        finally:
            self._thread.keeper = None
            keeper.release()

    def _keeper(self) -> SlotKeeper | None:
        keeper: SlotKeeper | None = getattr(self._thread, "keeper", None)
        return keeper

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        url = normalize_url(url)
        if not self.settings.allow_private_networks:
            check_public(url, self.settings.allowed_private_host_list)
        agent = self.settings.user_agent
        if not self._robots.allowed(url, agent):
            raise RobotsDisallowed(
                f"{without_credentials(url)} is disallowed by the site's robots.txt", url
            )
        policy = self._policy(url)
        host = urlsplit(url).netloc.lower()
        attempt = 0
        while True:
            attempt += 1
            waited: list[float] = []
            try:
                with self._gate.slot(host, policy, waited, self._keeper()) as sent:
                    result = fetch(
                        self.client,
                        url,
                        max_bytes=self.settings.fetch_max_bytes,
                        etag=etag,
                        last_modified=last_modified,
                        max_seconds=self.settings.fetch_timeout_seconds,
                        on_sent=sent,
                    )
            except FetchError as exc:
                self._count_failure(exc, waited)
                pause = self._retry_pause(exc, attempt)
                if pause is None:
                    raise
                log.info("retrying %s in %.1fs after: %s", without_credentials(url), pause, exc)
                with self._trace_lock:
                    self.trace.retries += 1
                time.sleep(pause)
                continue
            with self._trace_lock:
                self.trace.waited_seconds += sum(waited)
                self.trace.requests += result.requests
                self.trace.bytes += len(result.body)
                self.trace.statuses.append(result.status_code)
            return result

    def _count_failure(self, exc: FetchError, waited: list[float]) -> None:
        with self._trace_lock:
            self.trace.waited_seconds += sum(waited)
            self.trace.requests += 1
            if isinstance(exc, HTTPStatusError):
                self.trace.statuses.append(exc.status_code)

    def _retry_pause(self, exc: FetchError, attempt: int) -> float | None:
        if not exc.transient or attempt > self.settings.fetch_retries:
            return None
        if isinstance(exc, HTTPStatusError):
            asked = retry_after_seconds(exc.retry_after)
            if asked is not None and asked > self.settings.fetch_timeout_seconds:
                return None  # not worth holding a worker for: the task tries again later
            if asked is not None:
                return asked
        return backoff_seconds(attempt, self.settings.fetch_retry_base_seconds)

    def _policy(self, url: str) -> HostPolicy:
        interval = self.settings.host_min_interval_seconds
        delay = self._robots.crawl_delay(url, self.settings.user_agent)
        return HostPolicy(
            min_interval_seconds=max(interval, delay or 0.0),
            max_concurrency=self.settings.host_max_concurrency,
        )

    def _robots_text(self, robots_url: str) -> str | None:
        """robots.txt, or None (everything allowed) when the site has none or fails.

        It is fetched through the host gate like any page, so it counts against the
        site's limits too, and within the same limits of time; past
        `MAX_ROBOTS_BYTES` the rest is not read.
        """
        waited: list[float] = []
        policy = HostPolicy(
            self.settings.host_min_interval_seconds, self.settings.host_max_concurrency
        )
        shown = without_credentials(robots_url)
        try:
            host = urlsplit(robots_url).netloc.lower()
            with self._gate.slot(host, policy, waited, self._keeper()) as sent:
                result = fetch(
                    self.client,
                    robots_url,
                    max_bytes=MAX_ROBOTS_BYTES,
                    max_seconds=self.settings.fetch_timeout_seconds,
                    truncate=True,
                    on_sent=sent,
                )
        except HTTPStatusError:
            return None
        except FetchError as exc:
            log.info("no robots.txt at %s (%s): fetching as allowed", shown, exc)
            return None
        finally:
            with self._trace_lock:
                self.trace.waited_seconds += sum(waited)
                self.trace.requests += 1
        return result.body.decode("utf-8", errors="replace")
