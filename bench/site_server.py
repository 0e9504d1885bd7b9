"""The bench's web sites: one asyncio process answering every request 50 ms late.

`python -m bench.site_server --hosts N --latency 0.05 --anchor 2026-11-21`
listens on one port of 127.0.0.1 … 127.0.0.N (all loopback on Linux, so
`http://127.0.0.K:PORT/` is N different hosts), prints the port on stdout and
serves `bench.site_pages` with keep-alive until it is stopped. With
`--record FILE` it writes every request it answered, with when it started and
ended (`bench.served_requests`), to FILE as it stops.
`serving_sites()` runs it as a child process and stops it by its PID.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
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

START_TIMEOUT = 30.0
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}


@dataclass(frozen=True, slots=True)
class Sites:
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
        yield Sites(int(line), hosts, latency, anchor)
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
        self._open: set[asyncio.StreamWriter] = set()
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

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = [*lines[0].split(" "), "", ""][:3]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                keep_alive = version == "HTTP/1.1" and headers.get("connection") != "close"
                started = time.monotonic()
                await asyncio.sleep(self.latency)
                host = headers.get("host", "")
                answer = self.response(method, host, target, keep_alive)
                writer.write(answer)
                await writer.drain()
                status = int(answer[9:12])
                self.served.append(ServedRequest(host, target, status, started, time.monotonic()))
                if not keep_alive:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            self._open.discard(writer)
            writer.close()

    async def hang_up(self) -> None:
        """End every open connection, so no handler is left to be cancelled."""
        for writer in list(self._open):
            writer.transport.abort()
        while self._open:
            await asyncio.sleep(0.01)


async def _serve(hosts: int, latency: float, anchor: date, record: Path | None) -> None:
    server = _Server(latency, anchor)
    first = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=2048)
    port = first.sockets[0].getsockname()[1]
    others = [f"127.0.0.{n}" for n in range(2, hosts + 1)]
    rest = await asyncio.start_server(server.handle, others, port, backlog=2048) if others else None
    print(port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for listening in (first, rest):
        if listening is not None:
            listening.close()
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
