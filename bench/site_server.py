"""The bench's web sites: one asyncio process answering every request 50 ms after it arrived.

`python -m bench.site_server --hosts N --latency 0.05 --anchor 2026-11-21`
listens on one port of 127.0.0.1 … 127.0.0.N (all loopback on Linux, so
`http://127.0.0.K:PORT/` is N different hosts), prints the port on stdout and
serves `bench.site_pages` with keep-alive until it is stopped. With
`--record FILE` it writes every request it answered, with when it arrived (as
the kernel stamped it, `bench.stamped_sockets`, so a busy server does not note it
late) and when its answer was sent (`bench.served_requests`), to FILE as it stops.
`serving_sites()` runs it as a child process and stops it by its PID.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.served_requests import ServedRequest, write_served
from bench.site_pages import render
from bench.stamped_sockets import accept, receive, stamped_listener

START_TIMEOUT = 30.0
BACKLOG = 2048
MAX_HEAD_BYTES = 65536
"""A request head longer than this ends its connection."""
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}


@dataclass(frozen=True, slots=True)
class Sites:
    pid: int
    """The server's process."""
    port: int
    hosts: int
    latency: float
    anchor: date

    def origin(self, host: int) -> str:
        """The origin of host number `host`, from 1."""
        if not 1 <= host <= self.hosts:
            raise ValueError(f"the server has hosts 1-{self.hosts}, not {host}")
        return f"http://127.0.0.{host}:{self.port}"


@contextmanager
def serving_sites(
    hosts: int, latency: float, anchor: date, record: Path | None = None
) -> Iterator[Sites]:
    """The site server as a child process; with `record`, what it served is in that file
    once the block has ended."""
    argv = [sys.executable, "-m", "bench.site_server", "--hosts", str(hosts)]
    argv += ["--latency", str(latency), "--anchor", anchor.isoformat()]
    if record is not None:
        argv += ["--record", str(record)]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the site server did not start (exit {child.poll()})")
        yield Sites(child.pid, int(line), hosts, latency, anchor)
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


class _Server:
    def __init__(self, latency: float, anchor: date) -> None:
        self.latency = latency
        self.anchor = anchor
        self._cache: dict[tuple[str, str], bytes] = {}
        self._handlers: set[asyncio.Task[None]] = set()
        self.served: list[ServedRequest] = []

    def response(self, method: str, host: str, target: str, keep_alive: bool) -> bytes:
        """The whole answer, its status line first."""
        key = (host, target)
        if method != "GET":
            status, content_type, body = 405, "text/plain", b"GET only\n"
        elif key in self._cache:
            return self._cache[key] if keep_alive else self._head_close(self._cache[key])
        else:
            status, content_type, body = render(host, target, self.anchor)
        head = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nServer: almanac-bench\r\n\r\n"
        ).encode()
        whole = head + body
        if method == "GET":
            self._cache[key] = whole
        return whole if keep_alive else self._head_close(whole)

    @staticmethod
    def _head_close(whole: bytes) -> bytes:
        return whole.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)

    async def handle(self, connection: socket.socket) -> None:
        """Answer the requests of one connection, in turn, each `latency` after it arrived."""
        pending = b""
        try:
            while True:
                while b"\r\n\r\n" not in pending:
                    if len(pending) > MAX_HEAD_BYTES:
                        return
                    data, arrived = await receive(connection)
                    if not data:
                        return
                    pending += data
                head, _, pending = pending.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = [*lines[0].split(" "), "", ""][:3]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                while len(pending) < length:
                    data, arrived = await receive(connection)
                    if not data:
                        return
                    pending += data
                pending = pending[length:]
                keep_alive = version == "HTTP/1.1" and headers.get("connection") != "close"
                await asyncio.sleep(max(0.0, arrived + self.latency - time.time()))
                host = headers.get("host", "")
                answer = self.response(method, host, target, keep_alive)
                status = int(answer[9:12])
                # Noted as the whole answer goes to the connection: noted after, it would
                # be late by however long the process then waited for a CPU.
                self.served.append(ServedRequest(host, target, status, arrived, time.time()))
                await asyncio.get_running_loop().sock_sendall(connection, answer)
                if not keep_alive:
                    return
        except (ConnectionError, ValueError):
            pass
        finally:
            connection.close()

    async def listen(self, listener: socket.socket) -> None:
        """Take `listener`'s connections, each answered by a task of its own."""
        with listener:
            while True:
                connection = await accept(listener)
                handler = asyncio.create_task(self.handle(connection))
                self._handlers.add(handler)
                handler.add_done_callback(self._handlers.discard)

    async def hang_up(self) -> None:
        """End every open connection, so no handler is left behind."""
        handlers = list(self._handlers)
        for handler in handlers:
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


async def _serve(hosts: int, latency: float, anchor: date, record: Path | None) -> None:
    server = _Server(latency, anchor)
    first = stamped_listener("127.0.0.1", 0, BACKLOG)
    port = first.getsockname()[1]
    listeners = [first] + [
        stamped_listener(f"127.0.0.{n}", port, BACKLOG) for n in range(2, hosts + 1)
    ]
    listening = [asyncio.create_task(server.listen(listener)) for listener in listeners]
    print(port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for task in listening:
        task.cancel()
    await asyncio.gather(*listening, return_exceptions=True)
    await asyncio.wait_for(server.hang_up(), 5)
    if record is not None:
        write_served(record, server.served)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.site_server", description=__doc__)
    parser.add_argument("--hosts", type=int, default=1, help="serve 127.0.0.1 … 127.0.0.N")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds before each answer")
    parser.add_argument("--anchor", type=date.fromisoformat, default=date.today())
    parser.add_argument("--record", type=Path, help="write what was served here on stopping")
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= 254:
        parser.error("--hosts must be 1-254")
    asyncio.run(_serve(args.hosts, args.latency, args.anchor, args.record))


if __name__ == "__main__":
    main()
