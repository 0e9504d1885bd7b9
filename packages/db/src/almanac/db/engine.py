"""Engines and sessions, one engine per process and database URL."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

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


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=_connect_args(url)
    )


@lru_cache(maxsize=4)
def unpooled_engine_for(url: str) -> Engine:
    """An engine that keeps no connection open between uses: for a process that forks."""
    return create_engine(url, poolclass=NullPool, connect_args=_connect_args(url))


def _connect_args(url: str) -> dict[str, Any]:
    given = make_url(url).query.get("options")
    extra = " ".join(given) if isinstance(given, tuple) else given
    return {"options": f"{SESSION_OPTIONS} {extra}" if extra else SESSION_OPTIONS}


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
