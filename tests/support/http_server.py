"""A real HTTP server on localhost that tests program route by route.

It stands in for the venues' sites and feeds: it serves bodies with ETag and
Last-Modified (answering 304 to a matching conditional GET), can delay,
fail with any status or redirect, and records every request it receives.

It also plays hostile servers: a body of any size streamed without ever being
held in memory, a body that never ends, an answer that stalls or drips its
headers, a byte at a time.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/calendar; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: bool = True
    fail_times: int = 0
    """Answer the first requests with `fail_status` (and `fail_headers`) before succeeding."""
    fail_status: int = 503
    fail_headers: dict[str, str] = field(default_factory=dict)
    drip_seconds: float = 0.0
    """Send the body one byte at a time, this long apart (a server that drips)."""
    drip_headers: bool = False
    """Drip the status line and headers too, so that no answer ever arrives whole."""
    size: int = 0
    """Stream a body of this many bytes (`body` first, then filler), made as it is sent."""
    chunked: bool = False
    """Send `size` bytes chunked, with no Content-Length to refuse them by."""
    endless: bool = False
    """A chunked body that never ends."""
    stall_after: int | None = None
    """Send this many bytes of the body, then nothing more until the client gives up."""

    @property
    def hostile(self) -> bool:
        return bool(self.size or self.endless or self.drip_headers or self.stall_after is not None)


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    at: float = 0.0
    """time.monotonic() when the request arrived."""
    client_port: int = 0
    """The port the request came from: one per connection."""


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up early (a size cap, a timeout) is expected, not an error."""

    def handle_error(self, request: object, client_address: object) -> None:
        return


class LocalHTTPServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def serve(self, path: str, body: bytes | str = b"", **options: object) -> str:
        """Serve `body` at `path` (replacing what was there); returns the full URL."""
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **options)  # type: ignore[arg-type]
        return self.url(path)

    def serve_file(self, path: str, file: Path, **options: object) -> str:
        return self.serve(path, file.read_bytes(), **options)

    def hits(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _record(self, request: SeenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # An answer's head and body go out in two writes: with Nagle's algorithm the
            # body would wait for the head's acknowledgement, which the client delays
            # (40 ms on Linux), on every request of a kept-alive connection.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                seen = SeenRequest(
                    "GET",
                    self.path,
                    dict(self.headers.items()),
                    time.monotonic(),
                    self.client_address[1],
                )
                server._record(seen)
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer()
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self) -> None:
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                if route is None:
                    self._send(404, b"not found", "text/plain", {})
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.fail_times > 0:
                    route.fail_times -= 1
                    self._send(route.fail_status, b"try later", "text/plain", route.fail_headers)
                    return
                if (
                    route.size
                    or route.endless
                    or route.drip_headers
                    or route.stall_after is not None
                ):
                    self._hostile(route)
                    return
                headers = dict(route.headers)
                if route.etag and route.status == 200:
                    tag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                    headers.setdefault("ETag", tag)
                    if self.headers.get("If-None-Match") == headers["ETag"]:
                        self._send(304, b"", None, headers)
                        return
                self._send(
                    route.status, route.body, route.content_type, headers, route.drip_seconds
                )

            def _hostile(self, route: Route) -> None:
                """Answers that test a client's limits; none is ever held in memory whole."""
                self.close_connection = True
                head = [f"HTTP/1.1 {route.status} Hostile\r\n"]
                if route.content_type:
                    head.append(f"Content-Type: {route.content_type}\r\n")
                head += [f"{name}: {value}\r\n" for name, value in route.headers.items()]
                if route.endless or route.chunked:
                    head.append("Transfer-Encoding: chunked\r\n")
                else:
                    length = max(route.size, len(route.body))
                    head.append(f"Content-Length: {length}\r\n")
                head.append("\r\n")
                if route.drip_headers:
                    for byte in "".join(head).encode():
                        if server._stopping.wait(route.drip_seconds or 1.0):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    return
                self.wfile.write("".join(head).encode())
                self.wfile.flush()
                if route.stall_after is not None:
                    self.wfile.write(route.body[: route.stall_after])
                    self.wfile.flush()
                    server._stopping.wait(120)
                    return
                chunked = route.endless or route.chunked
                for part in _filler(route.body, None if route.endless else route.size):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")

            def _send(
                self,
                status: int,
                body: bytes,
                content_type: str | None,
                headers: dict[str, str],
                drip_seconds: float = 0.0,
            ) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if drip_seconds:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(drip_seconds)
                elif body:
                    self.wfile.write(body)

        return Handler


def _filler(first: bytes, size: int | None) -> Iterator[bytes]:
    """`first`, then spaces, 64 KiB at a time, to `size` bytes in all (None: for ever)."""
    if first:
        yield first[:size] if size is not None else first
    sent = len(first)
    block = b" " * 65536
    while size is None or sent < size:
        part = block if size is None else block[: size - sent]
        yield part
        sent += len(part)
