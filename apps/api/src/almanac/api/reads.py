"""Reads on the event loop: the event list's statements, without a thread of their own.

A route written as a plain function runs in a thread of the pool, and each
request then costs the API process several switches between threads, as much
as the rest of a short read. The event list, the API's busiest route, runs on
the loop instead: its statements go through the connections of
`reads_engine` (opened as the app starts, closed as it stops), and the same
synchronous query functions as everywhere else run on them in a greenlet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Concatenate, ParamSpec, Protocol, TypeVar

from fastapi import Depends, FastAPI, Request
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from almanac.core.settings import get_settings
from almanac.db.engine import reads_engine

P = ParamSpec("P")
T = TypeVar("T")


class Reads(Protocol):
    """Runs a query function, given a connection first, without blocking the loop."""

    async def run(
        self, read: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T: ...


class LoopReads:
    """`Reads` on one connection of the reads engine."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def run(
        self, read: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await self._connection.run_sync(read, *args, **kwargs)


@asynccontextmanager
async def reads_open(app: FastAPI) -> AsyncIterator[None]:
    """The reads engine, for as long as the app runs on this loop."""
    engine = reads_engine(get_settings().database_url)
    app.state.reads_engine = engine
    try:
        yield
    finally:
        await engine.dispose()


async def get_reads(request: Request) -> AsyncIterator[Reads]:
    async with request.app.state.reads_engine.connect() as connection:
        yield LoopReads(connection)


ReadsDep = Annotated[Reads, Depends(get_reads)]
