"""Fetching politely, against a real local server and real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from almanac.core.addresses import PrivateAddressRefused, check_public
from almanac.core.errors import HTTPStatusError
from almanac.core.settings import Settings, get_settings
from almanac.pipeline.fetch import make_client
from almanac.pipeline.polite_fetch import PoliteFetcher, RobotsDisallowed
from tests.support.http_server import LocalHTTPServer


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return get_settings().model_copy(update={"redis_url": redis_url})


def _fetcher(settings: Settings, **changes: object) -> Iterator[PoliteFetcher]:
    tuned = settings.model_copy(update=changes)
    with make_client(tuned) as client:
        yield PoliteFetcher(tuned, client)


@pytest.fixture
def fetcher(settings: Settings) -> Iterator[PoliteFetcher]:
    yield from _fetcher(settings)


def test_robots_txt_that_disallows_is_obeyed(
    fetcher: PoliteFetcher, http_server: LocalHTTPServer
) -> None:
    http_server.serve(
        "/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    url = http_server.serve("/private/events.ics", "BEGIN:VCALENDAR")
    with pytest.raises(RobotsDisallowed, match=r"disallowed by the site's robots\.txt"):
        fetcher.get(url)
    assert http_server.hits("/private/events.ics") == []
    assert fetcher.get(http_server.serve("/public.ics", "ok")).body == b"ok"


def test_crawl_delay_spaces_requests_to_a_host(
    settings: Settings, http_server: LocalHTTPServer
) -> None:
    http_server.serve("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", content_type="text/plain")
    url = http_server.serve("/a", "a")
    for fetcher in _fetcher(settings):
        fetcher.get(url)
        fetcher.get(url)
        first, second = http_server.hits("/a")
        assert second.at - first.at >= 0.95
        assert fetcher.trace.waited_seconds >= 0.9


def test_per_host_concurrency_holds_across_threads(
    settings: Settings, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve("/slow", "x", delay=0.2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for fetcher in _fetcher(settings, host_max_concurrency=2):
                fetcher.get(url)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(http_server.hits("/slow")) == 6
    assert http_server.max_in_flight == 2


def test_the_interval_counts_from_when_a_late_request_went_out(
    settings: Settings, http_server: LocalHTTPServer
) -> None:
    """A worker that is slow to send the request its slot was granted for (a busy CPU)
    does not let another worker's request reach the site sooner than the interval."""
    http_server.serve("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    url = http_server.serve("/page", "x")
    tuned = settings.model_copy(update={"host_min_interval_seconds": 0.2})
    PoliteFetcher(tuned, httpx.Client()).get(http_server.url("/robots.txt"))
    granted = threading.Event()

    def late(request: httpx.Request) -> None:
        granted.set()
        time.sleep(0.3)

    with make_client(tuned) as slow, make_client(tuned) as quick:
        slow.event_hooks["request"].append(late)
        first = threading.Thread(target=PoliteFetcher(tuned, slow).get, args=(url,))
        first.start()
        assert granted.wait(5)
        PoliteFetcher(tuned, quick).get(url)
        first.join(10)
    late_one, other = sorted(hit.at for hit in http_server.hits("/page"))
    assert other - late_one >= 0.19


def test_429_is_retried_after_the_time_it_asks(
    fetcher: PoliteFetcher, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve(
        "/busy", "done", fail_times=1, fail_status=429, fail_headers={"Retry-After": "1"}
    )
    assert fetcher.get(url).body == b"done"
    first, second = http_server.hits("/busy")
    assert second.at - first.at >= 0.95
    assert fetcher.trace.retries == 1
    assert fetcher.trace.statuses == [429, 200]


def test_server_errors_are_retried_with_backoff_then_given_up(
    fetcher: PoliteFetcher, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve("/down", "x", fail_times=10, fail_status=503)
    with pytest.raises(HTTPStatusError, match="503"):
        fetcher.get(url)
    assert len(http_server.hits("/down")) == 1 + fetcher.settings.fetch_retries


def test_other_client_errors_are_not_retried(
    fetcher: PoliteFetcher, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve("/gone", "x", status=404)
    with pytest.raises(HTTPStatusError, match="404"):
        fetcher.get(url)
    assert len(http_server.hits("/gone")) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/feed.ics",
        "http://localhost/feed.ics",
        "http://10.1.2.3/feed.ics",
        "http://192.168.0.10/feed.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/feed.ics",
        "http://[::ffff:10.0.0.1]/feed.ics",
        "http://0.0.0.0/feed.ics",
    ],
)
def test_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(PrivateAddressRefused, match="ALMANAC_ALLOW_PRIVATE_NETWORKS"):
        check_public(url)


def test_public_addresses_pass() -> None:
    check_public("http://93.184.215.14/feed.ics")


def test_a_client_that_refuses_private_networks_sends_nothing(
    settings: Settings, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve("/feed.ics", "x")
    closed = settings.model_copy(update={"allow_private_networks": False})
    for fetcher in _fetcher(closed):
        with pytest.raises(PrivateAddressRefused):
            fetcher.get(url)
    with make_client(closed) as client, pytest.raises(PrivateAddressRefused):
        client.get(url)
    assert http_server.requests == []
    assert isinstance(httpx.URL(url).host, str)


def _leases(settings: Settings, url: str) -> int:
    host = httpx.URL(url).netloc.decode().lower()
    connection = redis.Redis.from_url(settings.redis_url)
    try:
        return int(connection.zcard(f"almanac:host:{host}:leases"))
    finally:
        connection.close()


def test_a_thread_keeps_its_slot_from_page_to_page_of_a_host_without_interval(
    settings: Settings, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve("/page", "x")
    for fetcher in _fetcher(settings, host_min_interval_seconds=0):
        fetcher.get(url)
        assert _leases(settings, url) == 0
        with fetcher.keeping_slots() as keeper:
            fetcher.get(url)
            assert _leases(settings, url) == 1
            fetcher.get(url)
            assert _leases(settings, url) == 1
            keeper.release()
            assert _leases(settings, url) == 0
            fetcher.get(url)
        assert _leases(settings, url) == 0
    assert len(http_server.hits("/page")) == 4


def test_a_host_with_an_interval_gets_its_slot_back_after_every_page(
    settings: Settings, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve("/page", "x")
    for fetcher in _fetcher(settings, host_min_interval_seconds=0.05):
        with fetcher.keeping_slots():
            fetcher.get(url)
            assert _leases(settings, url) == 0


def test_a_kept_slot_counts_against_the_host_limit(
    settings: Settings, http_server: LocalHTTPServer
) -> None:
    """Another fetcher of the same host waits while a thread keeps the only slot."""
    url = http_server.serve("/page", "x")
    kept = threading.Event()
    done = threading.Event()
    errors: list[BaseException] = []

    def keeping() -> None:
        try:
            for fetcher in _fetcher(settings, host_max_concurrency=1):
                with fetcher.keeping_slots():
                    fetcher.get(url)
                    kept.set()
                    time.sleep(0.5)
                    fetcher.get(url)
                done.set()
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=keeping)
    thread.start()
    assert kept.wait(10)
    for other in _fetcher(settings, host_max_concurrency=1):
        other.get(url)
        assert done.is_set()
    thread.join(10)
    assert errors == []
    first, second, third = sorted(hit.at for hit in http_server.hits("/page"))
    assert second - first >= 0.45
    assert third >= second
