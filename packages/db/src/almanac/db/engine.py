"""Engines and sessions, one engine per process and database URL."""

from __future__ import annotations

import os
import time
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from almanac.core.settings import get_settings

SESSION_OPTIONS = (
    "-c plan_cache_mode=force_custom_plan -c max_parallel_workers_per_gather=0 -c jit=off"
)
"""How Almanac's connections plan their statements.

Its statements are short and many run at once. A prepared statement's generic
plan cannot know how much of a time window a query reads, and picks plans a
hundred times slower than those made for the values at hand; parallel
workers and JIT compilation cost such statements more than they save.
Options given in the URL's `options` come after these, and win.
"""
POOL: dict[str, Any] = {"pool_size": 10, "max_overflow": 10}
"""Connections kept open, and opened beyond them at a busy moment (then closed
again). Opening a connection costs PostgreSQL more than a short query does: the
pool holds as many as the API's requests in flight commonly need."""
READS_OPTIONS = "-c plan_cache_mode=auto -c max_parallel_workers_per_gather=0 -c jit=off"
"""How the connections of `reads_engine` plan: PostgreSQL may keep a generic plan
for a statement that they prepare, which only statements one plan serves well are."""


PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled connection idle longer than this is pinged before it is handed out.

A worker's task takes a connection from the pool half a dozen times in quick
succession (its lease, its run, its history), and the API one per request:
pinging each time cost a round trip to PostgreSQL apiece. A connection given
back a moment ago is used as it is; should the database have gone in that
moment, the statement fails as a disconnect, and the pool replaces every
connection it holds."""


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    engine = create_engine(url, **POOL, connect_args=_connect_args(url))
    _ping_when_idle(engine)
    _pooled.append(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _given_back(_: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(
        dbapi_connection: Any, record: ConnectionPoolEntry, _: PoolProxiedConnection
    ) -> None:
        since = record.info.pop("idle_since", None)
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("the connection did not answer a ping")


_pooled: list[Engine] = []


def _leave_parent_connections() -> None:
    """In a forked child (a worker's pool process), the pools start empty: the
    parent's connections stay the parent's, and the child opens its own."""
    for engine in _pooled:
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_leave_parent_connections)


def reads_engine(url: str) -> AsyncEngine:
    """An asyncio engine for reads that need no transaction, each statement on its own.

    Made by its user (the API, as it starts) and disposed of by it: its
    connections belong to the event loop they were opened on. Statements are
    not prepared unless their runner asks (see `READS_OPTIONS`).
    """
    connect_args: dict[str, Any] = {
        **_connect_args(url, READS_OPTIONS),
        "prepare_threshold": None,
    }
    engine = create_async_engine(
        url, isolation_level="AUTOCOMMIT", **POOL, connect_args=connect_args
    )
    _ping_when_idle(engine.sync_engine)
    return engine


def _connect_args(url: str, options: str = SESSION_OPTIONS) -> dict[str, Any]:
    given = make_url(url).query.get("options")
    extra = " ".join(given) if isinstance(given, tuple) else given
    return {"options": f"{options} {extra}" if extra else options}


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """The sessions of `engine` (by default the settings' database), from one factory
    per engine: each factory makes a `Session` class of its own, and SQLAlchemy sets up
    the events of a session of a class it has not seen before from scratch (a few
    milliseconds of CPU per session, many times in each task)."""
    return _factory_of(engine or get_engine())


@lru_cache(maxsize=4)
def _factory_of(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
