"""Sockets read with the time the kernel received what was read.

A server that notes a request as its process gets round to reading it notes it
late whenever the process waits for a CPU, and two requests that reached it 100 ms
apart can be noted 10 ms apart. The kernel stamps each segment as it arrives
(`SO_TIMESTAMPNS`, Linux), and `recvmsg` hands over the stamp of the last segment
it read, on the `time.time()` clock.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time

SO_TIMESTAMPNS = 35
"""Linux's option for receive stamps in nanoseconds; Python's `socket` does not name it."""
_STAMP_SPACE = socket.CMSG_SPACE(struct.calcsize("qq"))


def stamped_listener(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket whose connections stamp what they receive (they inherit it)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    listener.bind((host, port))
    listener.listen(backlog)
    listener.setblocking(False)
    return listener


async def accept(listener: socket.socket) -> socket.socket:
    """The next connection, non-blocking, its small answers sent without delay."""
    connection, _ = await asyncio.get_running_loop().sock_accept(listener)
    connection.setblocking(False)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


async def receive(connection: socket.socket, size: int = 65536) -> tuple[bytes, float]:
    """The next bytes of `connection` (empty at its end), and when they arrived."""
    while True:
        try:
            data, ancillary, _, _ = connection.recvmsg(size, _STAMP_SPACE)
        except BlockingIOError:
            await _readable(connection)
            continue
        return data, _arrival(ancillary)


def _arrival(ancillary: list[tuple[int, int, bytes]]) -> float:
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            seconds, nanoseconds = struct.unpack("qq", value[: struct.calcsize("qq")])
            return float(seconds) + float(nanoseconds) / 1e9
    return time.time()  # nothing received (the end), or a kernel that does not stamp


async def _readable(connection: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    descriptor = connection.fileno()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(descriptor, wake)
    try:
        await ready
    finally:
        loop.remove_reader(descriptor)
