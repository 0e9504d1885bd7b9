"""Fetching from a real local HTTP server."""

from __future__ import annotations

import gzip
import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

import httpx
import pytest

from almanac.core import task_time
from almanac.core.errors import FetchTimeout, HTTPStatusError, ResponseTooLarge
from almanac.core.settings import get_settings
from almanac.pipeline.fetch import fetch, make_client, normalize_url
from tests.support.http_server import LocalHTTPServer


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(get_settings()) as client:
        yield client


def test_conditional_get_answers_304_without_a_body(
    http_server: LocalHTTPServer, client: httpx.Client
) -> None:
    url = http_server.serve("/feed.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    first = fetch(client, url, max_bytes=1000)
    assert first.status_code == 200
    assert first.etag
    again = fetch(client, url, max_bytes=1000, etag=first.etag)
    assert again.not_modified
    assert again.body == b""
    assert http_server.hits("/feed.ics")[1].headers["If-None-Match"] == first.etag


def test_sends_almanac_user_agent(http_server: LocalHTTPServer, client: httpx.Client) -> None:
    fetch(client, http_server.serve("/a", "x"), max_bytes=10)
    assert http_server.hits("/a")[0].headers["User-Agent"].startswith("Almanac/")


def test_error_status_raises_with_the_status(
    http_server: LocalHTTPServer, client: httpx.Client
) -> None:
    url = http_server.serve("/gone.ics", "gone", status=410)
    with pytest.raises(HTTPStatusError, match="410") as error:
        fetch(client, url, max_bytes=1000)
    assert not error.value.transient
    http_server.serve("/busy.ics", "busy", status=503)
    with pytest.raises(HTTPStatusError) as busy:
        fetch(client, http_server.url("/busy.ics"), max_bytes=1000)
    assert busy.value.transient


def test_body_over_the_cap_is_refused(http_server: LocalHTTPServer, client: httpx.Client) -> None:
    url = http_server.serve("/big.ics", b"x" * 5000)
    with pytest.raises(ResponseTooLarge, match="5000 bytes"):
        fetch(client, url, max_bytes=1000)


def test_slow_server_times_out(http_server: LocalHTTPServer) -> None:
    url = http_server.serve("/slow.ics", "x", delay=2.0)
    with httpx.Client(timeout=0.3) as client, pytest.raises(FetchTimeout, match="timed out"):
        fetch(client, url, max_bytes=1000)


def test_a_fetch_is_cut_off_when_its_task_s_time_is_up(
    http_server: LocalHTTPServer, client: httpx.Client
) -> None:
    """A task in a thread of a pool process has its soft limit raised as its thread next
    runs; its fetch must not hold it waiting for a slow server until then."""
    url = http_server.serve("/slow.ics", "BEGIN:VCALENDAR", delay=5.0)
    with task_time.running_for(0.5), pytest.raises(FetchTimeout, match="end of its task's"):
        fetch(client, url, max_bytes=1000)


def test_redirects_are_followed_and_counted(
    http_server: LocalHTTPServer, client: httpx.Client
) -> None:
    http_server.serve("/new.ics", "BEGIN:VCALENDAR")
    http_server.serve("/old.ics", "", status=301, headers={"Location": "/new.ics"})
    result = fetch(client, http_server.url("/old.ics"), max_bytes=1000)
    assert result.url.endswith("/new.ics")
    assert result.requests == 2


def test_webcal_means_https() -> None:
    assert normalize_url("webcal://example.org/cal.ics") == "https://example.org/cal.ics"


def test_a_server_that_drips_is_cut_off(http_server: LocalHTTPServer, client: httpx.Client) -> None:
    url = http_server.serve("/drip.ics", b"BEGIN:VCALENDAR" * 10, drip_seconds=0.2)
    with pytest.raises(FetchTimeout, match="longer than 1 s"):
        fetch(client, url, max_bytes=10_000, max_seconds=1.0)


def test_a_server_that_drips_its_headers_is_cut_off_on_a_reused_client(
    http_server: LocalHTTPServer, client: httpx.Client
) -> None:
    fetch(client, http_server.serve("/robots.txt", "User-agent: *"), max_bytes=100, max_seconds=1)
    url = http_server.serve("/late.ics", "BEGIN:VCALENDAR", drip_headers=True, drip_seconds=0.1)
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="longer than 1 s"):
        fetch(client, url, max_bytes=10_000, max_seconds=1.0)
    assert time.monotonic() - started < 3


def test_fetches_cut_off_together_each_at_its_own_time(
    http_server: LocalHTTPServer, client: httpx.Client
) -> None:
    """Many watched fetches at once share one watcher, and none waits for another's time."""
    url = http_server.serve("/drips.ics", b"BEGIN:VCALENDAR" * 10, drip_seconds=0.1)
    ok = http_server.serve("/quick.ics", "BEGIN:VCALENDAR")

    def timed_out_after(limit: float) -> float:
        started = time.monotonic()
        with pytest.raises(FetchTimeout):
            fetch(client, url, max_bytes=10_000, max_seconds=limit)
        return time.monotonic() - started

    with ThreadPoolExecutor(4) as pool:
        ended = list(pool.map(timed_out_after, [2.0, 0.5, 1.5, 1.0]))
        assert fetch(client, ok, max_bytes=100, max_seconds=0.5).body == b"BEGIN:VCALENDAR"
    for limit, seconds in zip([2.0, 0.5, 1.5, 1.0], ended, strict=True):
        assert limit <= seconds < limit + 0.5


def _drip_in_a_forked_child(url: str, answer: Connection) -> None:
    with make_client(get_settings()) as child_client:
        started = time.monotonic()
        try:
            fetch(child_client, url, max_bytes=10_000, max_seconds=0.5)
        except FetchTimeout:
            answer.send(time.monotonic() - started)
        else:
            answer.send(None)


def test_a_forked_process_still_cuts_off_a_drip(
    http_server: LocalHTTPServer, client: httpx.Client
) -> None:
    """A prefork worker's pool processes are forked after the parent may have fetched."""
    url = http_server.serve(
        "/drip-fork.ics", "BEGIN:VCALENDAR", drip_headers=True, drip_seconds=0.1
    )
    with pytest.raises(FetchTimeout):
        fetch(client, url, max_bytes=10_000, max_seconds=0.3)
    receiving, sending = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_drip_in_a_forked_child, args=(url, sending)
    )
    child.start()
    try:
        assert receiving.poll(10), "the forked child's fetch was never cut off"
        seconds = receiving.recv()
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
    assert seconds is not None, "the forked child's fetch was not cut off"
    assert seconds < 2


def test_pages_of_one_site_come_over_one_connection(
    http_server: LocalHTTPServer, client: httpx.Client
) -> None:
    """Each fetch is bounded in time, yet the connection stays open for the next one."""
    paths = [f"/kept-alive/{n}.ics" for n in range(3)]
    for path in paths:
        fetch(client, http_server.serve(path, "BEGIN:VCALENDAR"), max_bytes=100, max_seconds=5)
    seen = [hit for path in paths for hit in http_server.hits(path)]
    assert len({hit.client_port for hit in seen}) == 1
    assert all(hit.headers.get("Connection", "").lower() != "close" for hit in seen)


def test_a_fetch_that_cannot_be_bounded_in_time_fails_saying_why(
    http_server: LocalHTTPServer,
) -> None:
    """Were httpx to move its network backend, no fetch would run without its limit."""
    url = http_server.serve("/unbounded.ics", "BEGIN:VCALENDAR")
    with make_client(get_settings()) as moved:
        moved._transport._pool._network_backend = None  # type: ignore[attr-defined]
        with pytest.raises(RuntimeError, match="network backend"):
            fetch(moved, url, max_bytes=100, max_seconds=5)
    assert http_server.hits("/unbounded.ics") == []


def test_a_compressed_bomb_is_cut_off(http_server: LocalHTTPServer, client: httpx.Client) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    url = http_server.serve("/bomb.ics", bomb, headers={"Content-Encoding": "gzip"}, etag=False)
    assert len(bomb) < 100_000
    with pytest.raises(ResponseTooLarge, match="more than the 1000000-byte limit"):
        fetch(client, url, max_bytes=1_000_000)
