"""Fetching from a real local HTTP server."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import httpx
import pytest

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


def test_a_compressed_bomb_is_cut_off(http_server: LocalHTTPServer, client: httpx.Client) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    url = http_server.serve("/bomb.ics", bomb, headers={"Content-Encoding": "gzip"}, etag=False)
    assert len(bomb) < 100_000
    with pytest.raises(ResponseTooLarge, match="more than the 1000000-byte limit"):
        fetch(client, url, max_bytes=1_000_000)
