"""The bench's own world: a throwaway database, a Redis db number, the variables.

The variables are set before any Almanac module reads its settings (they are
read once per process), and every child process inherits them.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

PG_SERVER = os.environ.get("ALMANAC_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("ALMANAC_BENCH_REDIS", "redis://127.0.0.1:6379")
PROTECTED_DATABASES = frozenset({"postgres", "root", "template0", "template1", "almanac"})

PAST_DAYS = 1
HORIZON_DAYS = 365
MAX_BYTES = 512 * 1024 * 1024
HOST_MAX_CONCURRENCY = 2


@dataclass(frozen=True, slots=True)
class BenchEnvironment:
    database_url: str
    redis_url: str
    workdir: Path


def _free_redis_db() -> int:
    """An empty Redis db number, so flushing it at the end touches nobody else's data."""
    start = os.getpid() % 15
    for step in range(15):
        number = 1 + (start + step) % 15
        client = redis.Redis.from_url(f"{REDIS_SERVER}/{number}")
        try:
            if client.dbsize() == 0:
                return number
        finally:
            client.close()
    raise RuntimeError("no empty Redis db among 1-15 for the bench")


@contextmanager
def bench_environment() -> Iterator[BenchEnvironment]:
    """Create, migrate and export the bench's database; drop it and empty Redis after."""
    name = f"almanac_bench_{os.getpid()}_{secrets.token_hex(3)}"
    assert name not in PROTECTED_DATABASES
    database_url = f"{PG_SERVER}/{name}"
    redis_url = f"{REDIS_SERVER}/{_free_redis_db()}"
    with tempfile.TemporaryDirectory(prefix="almanac-bench-") as workdir:
        os.environ.update(
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "ALMANAC_ENV": "test",
                "ALMANAC_TIMEZONE": "America/New_York",
                "ALMANAC_PAST_DAYS": str(PAST_DAYS),
                "ALMANAC_HORIZON_DAYS": str(HORIZON_DAYS),
                "ALMANAC_FETCH_MAX_BYTES": str(MAX_BYTES),
                # Every feed and site the bench serves is on loopback, unspaced.
                "ALMANAC_ALLOW_PRIVATE_NETWORKS": "true",
                "ALMANAC_HOST_MIN_INTERVAL_SECONDS": "0",
                "ALMANAC_HOST_MAX_CONCURRENCY": str(HOST_MAX_CONCURRENCY),
                "ALMANAC_LOG_LEVEL": "WARNING",
                "ALMANAC_BEAT_SCHEDULE_FILE": f"{workdir}/beat-schedule",
            }
        )
        from almanac.db import migrate

        print(f"bench: database {name}, Redis {redis_url}", file=sys.stderr)
        migrate.ensure_database(database_url)
        try:
            migrate.upgrade(database_url)
            yield BenchEnvironment(database_url, redis_url, Path(workdir))
        finally:
            _dispose_engines()
            migrate.drop_database(database_url)
            client = redis.Redis.from_url(redis_url)
            client.flushdb()
            client.close()
            print(f"bench: dropped {name}, emptied {redis_url}", file=sys.stderr)


def _dispose_engines() -> None:
    from almanac.db.engine import engine_for

    engine_for(os.environ["DATABASE_URL"]).dispose()
    engine_for.cache_clear()
