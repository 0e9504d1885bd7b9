"""Fetching a URL with httpx: conditional GET, redirects and a size cap."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import httpx

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
    watchdog = _Watchdog(max_seconds)
    if max_seconds:
        headers["Connection"] = "close"  # the watchdog sees the connections it opens
    try:
        extensions = _with_sent_hook(watchdog.extensions, on_sent)
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
                if watchdog.expired():
                    raise watchdog.timeout(shown, url)
                chunks.append(chunk)
            return _result(response, b"".join(chunks), requests)
    except PrivateAddressRefused as exc:
        if exc.url == url:
            raise
        raise PrivateAddressRefused(f"{shown} redirects to {exc}", url) from exc
    except httpx.TimeoutException as exc:
        raise FetchTimeout(f"{shown} timed out ({type(exc).__name__})", url) from exc
    except httpx.TooManyRedirects as exc:
        error = FetchError(
            f"{shown} redirected more than {client.max_redirects} times (a redirect loop?)", url
        )
        error.transient = False
        raise error from exc
    except httpx.HTTPError as exc:
        if watchdog.fired:
            raise watchdog.timeout(shown, url) from exc
        detail = str(exc).replace(url, shown)
        raise FetchError(f"{shown} could not be fetched: {detail}", url) from exc
    finally:
        watchdog.cancel()


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


class _Watchdog:
    """Ends a fetch that takes longer than `max_seconds` in all, however slowly the server
    sends its headers or body: httpx's timeouts bound each read, not the whole response.

    The connections a fetch opens (redirects included) are noted as they open; when
    time is up their sockets are shut down, which ends any read waiting on them. So
    that a fetch never rides on a connection another one opened, a watched fetch asks
    for its connection to be closed after it. One thread of the process
    (`_Deadlines`) keeps every watched fetch's time.
    """

    def __init__(self, max_seconds: float | None) -> None:
        self.max_seconds = max_seconds
        self.fired = False
        self.ended = False
        self._deadline = time.monotonic() + max_seconds if max_seconds else None
        self._streams: list[object] = []
        self._lock = threading.Lock()
        if self._deadline is not None:
            _DEADLINES.watch(self._deadline, self)

    @property
    def extensions(self) -> dict[str, object]:
        return {"trace": self._trace} if self._deadline is not None else {}

    def _trace(self, event: str, info: dict[str, object]) -> None:
        if event == "connection.connect_tcp.complete":
            with self._lock:
                self._streams.append(info.get("return_value"))
                if self.fired:
                    self._shut_down()

    def fire(self) -> None:
        with self._lock:
            if self.ended:
                return
            self.fired = True
            self._shut_down()

    def _shut_down(self) -> None:
        for stream in self._streams:
            get_extra_info = getattr(stream, "get_extra_info", None)
            sock = get_extra_info("socket") if get_extra_info else None
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def expired(self) -> bool:
        return self.fired or (self._deadline is not None and time.monotonic() > self._deadline)

    def timeout(self, shown: str, url: str) -> FetchTimeout:
        return FetchTimeout(
            f"{shown} took longer than {self.max_seconds:g} s to send its answer", url
        )

    def cancel(self) -> None:
        with self._lock:
            self.ended = True
        if self._deadline is not None:
            _DEADLINES.forget()


class _Deadlines:
    """The process's one thread that fires every watched fetch whose time is up.

    A thread per fetch would cost more than the fetch itself. Ended fetches are
    left in the heap and skipped as they come to its top; when they outnumber
    the live ones the heap is rebuilt without them.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Empty, with no thread yet."""
        self._changed = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, _Watchdog]] = []
        self._order = itertools.count()
        self._live = 0
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, watchdog: _Watchdog) -> None:
        with self._changed:
            heapq.heappush(self._heap, (deadline, next(self._order), watchdog))
            self._live += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="fetch-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is watchdog:
                self._changed.notify()

    def forget(self) -> None:
        """One watched fetch has ended."""
        with self._changed:
            self._live -= 1
            if len(self._heap) > 64 and len(self._heap) > 2 * self._live:
                self._heap = [entry for entry in self._heap if not entry[2].ended]
                heapq.heapify(self._heap)

    def _run(self) -> None:
        with self._changed:
            while True:
                while self._heap and self._heap[0][2].ended:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._changed.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                heapq.heappop(self._heap)[2].fire()


_DEADLINES = _Deadlines()
# Threads do not survive a fork: a forked child (a prefork worker's pool process) starts
# with an empty heap and its own thread.
os.register_at_fork(after_in_child=_DEADLINES.reset)


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
