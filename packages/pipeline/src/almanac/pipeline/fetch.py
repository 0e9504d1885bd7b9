"""Fetching a URL with httpx: conditional GET, redirects and a size cap."""

from __future__ import annotations

import ssl
import time
import weakref
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpcore
import httpx

from almanac.core import task_time
from almanac.core.addresses import PrivateAddressRefused, check_public, without_credentials
from almanac.core.errors import FetchError, FetchTimeout, HTTPStatusError, ResponseTooLarge
from almanac.core.settings import Settings


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
    allowed = settings.allowed_private_host_list

    def refuse_private(request: httpx.Request) -> None:
        check_public(str(request.url), allowed)

    hooks = {} if settings.allow_private_networks else {"request": [refuse_private]}
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


def fetch(
    client: httpx.Client,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    max_seconds: float | None = None,
    truncate: bool = False,
    on_sent: Callable[[], None] | None = None,
) -> FetchResult:
    """GET `url`; a 304 comes back with an empty body, any other non-2xx raises.

    The body is streamed and cut off past `max_bytes` (counted after
    decompression, so a compressed bomb is cut off too) or when the whole
    response takes longer than `max_seconds` (a server that drips bytes).
    With `truncate`, a longer body is not refused but cut at `max_bytes`.
    `on_sent` is called each time a request's head has been written to its
    connection (once per redirect).
    """
    url = normalize_url(url)
    shown = without_credentials(url)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    _bound_reads(client)
    deadline = time.monotonic() + max_seconds if max_seconds else None
    in_time = _DEADLINE.set(deadline)
    try:
        extensions = _with_sent_hook({}, on_sent)
        with client.stream("GET", url, headers=headers, extensions=extensions) as response:
            requests = len(response.history) + 1
            if response.status_code == 304:
                return _result(response, b"", requests)
            if response.status_code >= 400:
                raise HTTPStatusError(
                    _status_message(shown, response),
                    url,
                    response.status_code,
                    _retry_after(response),
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes and not truncate:
                raise ResponseTooLarge(
                    f"{shown} is {int(declared)} bytes, over the {max_bytes}-byte limit", url
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes and truncate:
                    chunks.append(chunk[: len(chunk) - (size - max_bytes)])
                    break
                if size > max_bytes:
                    raise ResponseTooLarge(
                        f"{shown} sent more than the {max_bytes}-byte limit", url
                    )
                if _past(deadline):
                    raise _too_long(shown, url, max_seconds)
                chunks.append(chunk)
            return _result(response, b"".join(chunks), requests)
    except PrivateAddressRefused as exc:
        if exc.url == url:
            raise
        raise PrivateAddressRefused(f"{shown} redirects to {exc}", url) from exc
    except httpx.TimeoutException as exc:
        if _past(deadline):
            raise _too_long(shown, url, max_seconds) from exc
        if _past(task_time.ends_at()):
            raise FetchTimeout(f"{shown} was cut off at the end of its task's time", url) from exc
        raise FetchTimeout(f"{shown} timed out ({type(exc).__name__})", url) from exc
    except httpx.TooManyRedirects as exc:
        error = FetchError(
            f"{shown} redirected more than {client.max_redirects} times (a redirect loop?)", url
        )
        error.transient = False
        raise error from exc
    except httpx.HTTPError as exc:
        detail = str(exc).replace(url, shown)
        raise FetchError(f"{shown} could not be fetched: {detail}", url) from exc
    finally:
        _DEADLINE.reset(in_time)


def _with_sent_hook(
    extensions: dict[str, object], on_sent: Callable[[], None] | None
) -> dict[str, object]:
    """httpcore's trace extension, telling `on_sent` as each request head is written."""
    if on_sent is None:
        return extensions
    traced = extensions.get("trace")

    def trace(event: str, info: dict[str, object]) -> None:
        if callable(traced):
            traced(event, info)
        if event == "http11.send_request_headers.complete":
            on_sent()

    return extensions | {"trace": trace}


def _status_message(shown: str, response: httpx.Response) -> str:
    message = f"{shown} answered {response.status_code} {response.reason_phrase}"
    retry_after = _retry_after(response)
    if retry_after:
        message += f" and asks to retry after {retry_after[:40]}"
    return message


def _retry_after(response: httpx.Response) -> str | None:
    value: str | None = response.headers.get("Retry-After")
    return value


_DEADLINE: ContextVar[float | None] = ContextVar("almanac_fetch_deadline", default=None)
"""When the fetch running in this thread must have its whole answer (monotonic seconds)."""
_DEADLINE_MARGIN = 0.01


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline - _DEADLINE_MARGIN


def _too_long(shown: str, url: str, max_seconds: float | None) -> FetchTimeout:
    return FetchTimeout(f"{shown} took longer than {max_seconds:g} s to send its answer", url)


def _earliest(*moments: float | None) -> float | None:
    return min((moment for moment in moments if moment is not None), default=None)


def _bounded(timeout: float | None) -> float | None:
    """A read's, write's or connect's own timeout, cut to what is left of the fetch's time
    and of its task's (`almanac.core.task_time`): httpx's timeouts bound each read, so a
    server that drips its headers or its body a byte at a time would otherwise hold a
    fetch for ever."""
    deadline = _earliest(_DEADLINE.get(), task_time.ends_at())
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the fetch's time is up")
    return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    """A connection whose every read and write keeps to the fetch's time (`_bounded`),
    whichever fetch it serves: a connection kept alive serves the next fetch too."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout))
        return _BoundedStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _BoundedBackend(httpcore.NetworkBackend):
    """httpcore's network, its connections made `_BoundedStream`s."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host, port, _bounded(timeout), local_address, socket_options
        )
        return _BoundedStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_unix_socket(path, _bounded(timeout), socket_options)
        return _BoundedStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _bound_reads(client: httpx.Client) -> None:
    """Have every connection of `client` keep to the time of the fetch it serves.

    httpx offers no setting for the network under its transports: the pools'
    backend is swapped, once per client, for one that bounds each read. Should
    httpx no longer have it where it is looked for, every fetch fails saying so,
    rather than go on without its limit.
    """
    if client in _BOUNDED_CLIENTS:
        return
    for transport in [client._transport, *client._mounts.values()]:
        if not isinstance(transport, httpx.HTTPTransport):
            continue
        pool: Any = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if not isinstance(backend, httpcore.NetworkBackend):
            raise RuntimeError(
                f"httpx {httpx.__version__} keeps no network backend where Almanac bounds "
                "each fetch's time (HTTPTransport._pool._network_backend)"
            )
        if not isinstance(backend, _BoundedBackend):
            pool._network_backend = _BoundedBackend(backend)
    _BOUNDED_CLIENTS.add(client)


_BOUNDED_CLIENTS: weakref.WeakSet[httpx.Client] = weakref.WeakSet()


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
