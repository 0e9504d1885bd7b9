"""Fetching a URL with httpx: conditional GET, redirects and a size cap."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from functools import cache

import httpx

from almanac.core.errors import FetchError, FetchTimeout, HTTPStatusError, ResponseTooLarge
from almanac.core.settings import Settings
from almanac.pipeline.address_guard import check_public


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    status_code: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None
    requests: int

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304


def normalize_url(url: str) -> str:
    """`webcal://` is HTTPS by another name."""
    if url.startswith("webcal://"):
        return "https://" + url.removeprefix("webcal://")
    return url


@cache
def _tls_context() -> ssl.SSLContext:
    """Loading the certificate store takes tens of milliseconds: once per process is enough."""
    return httpx.create_ssl_context()


def make_client(settings: Settings) -> httpx.Client:
    """The HTTP client of a run; unless private networks are allowed, every request
    (redirects included) is checked against private, loopback and link-local addresses."""
    hooks = {} if settings.allow_private_networks else {"request": [_refuse_private]}
    return httpx.Client(
        event_hooks=hooks,
        verify=_tls_context(),
        follow_redirects=True,
        max_redirects=settings.fetch_max_redirects,
        timeout=httpx.Timeout(
            settings.fetch_timeout_seconds, connect=settings.fetch_connect_timeout_seconds
        ),
        headers={"User-Agent": settings.user_agent},
    )


def _refuse_private(request: httpx.Request) -> None:
    check_public(str(request.url))


def fetch(
    client: httpx.Client,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    max_seconds: float | None = None,
) -> FetchResult:
    """GET `url`; a 304 comes back with an empty body, any other non-2xx raises.

    The body is streamed and cut off past `max_bytes` (counted after
    decompression, so a compressed bomb is cut off too) or when the whole
    response takes longer than `max_seconds` (a server that drips bytes).
    """
    url = normalize_url(url)
    deadline = time.monotonic() + max_seconds if max_seconds else None
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with client.stream("GET", url, headers=headers) as response:
            requests = len(response.history) + 1
            if response.status_code == 304:
                return _result(response, b"", requests)
            if response.status_code >= 400:
                raise HTTPStatusError(
                    f"{url} answered {response.status_code} {response.reason_phrase}",
                    url,
                    response.status_code,
                    response.headers.get("Retry-After"),
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ResponseTooLarge(
                    f"{url} is {int(declared)} bytes, over the {max_bytes}-byte limit", url
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ResponseTooLarge(f"{url} sent more than the {max_bytes}-byte limit", url)
                if deadline is not None and time.monotonic() > deadline:
                    raise FetchTimeout(
                        f"{url} took longer than {max_seconds:.0f} s to send its body", url
                    )
                chunks.append(chunk)
            return _result(response, b"".join(chunks), requests)
    except httpx.TimeoutException as exc:
        raise FetchTimeout(f"{url} timed out ({type(exc).__name__})", url) from exc
    except httpx.TooManyRedirects as exc:
        error = FetchError(f"{url} redirected too many times", url)
        error.transient = False
        raise error from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{url} could not be fetched: {exc}", url) from exc


def _result(response: httpx.Response, body: bytes, requests: int) -> FetchResult:
    return FetchResult(
        url=str(response.url),
        status_code=response.status_code,
        body=body,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        content_type=response.headers.get("Content-Type"),
        requests=requests,
    )
