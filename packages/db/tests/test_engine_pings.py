"""Pooled connections: pinged before use only after sitting idle, replaced when found dead."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import DBAPIError

from almanac.db import engine as engines


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(database_url: str, pid: int) -> None:
    """End the backend from outside the engine's pool, as a restarted database would."""
    plain = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_dead_connection_idle_past_the_limit_is_replaced_before_use(
    own_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.2)
    first = _backend(own_engine)
    _terminate(database_url, first)
    time.sleep(0.3)
    assert _backend(own_engine) != first


def test_a_connection_given_back_a_moment_ago_is_used_without_a_ping(
    own_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not pinged, a connection that died in that moment fails its statement as a
    disconnect, and the pool then replaces its connections."""
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 60.0)
    first = _backend(own_engine)
    _terminate(database_url, first)
    with pytest.raises(DBAPIError) as failed:
        _backend(own_engine)
    assert failed.value.connection_invalidated
    assert _backend(own_engine) != first


def test_the_reads_engine_replaces_a_dead_connection_idle_past_the_limit(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.2)

    async def backends() -> tuple[int, int]:
        reads = engines.reads_engine(database_url)
        try:
            async with reads.connect() as conn:
                first = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            _terminate(database_url, first)
            await asyncio.sleep(0.3)
            async with reads.connect() as conn:
                second = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            return first, second
        finally:
            await reads.dispose()

    first, second = asyncio.run(backends())
    assert second != first
