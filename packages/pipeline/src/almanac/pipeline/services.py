"""Waiting for PostgreSQL and Redis before starting."""

from __future__ import annotations

import time

import redis

from almanac.core.settings import Settings
from almanac.db.migrate import wait_for_database


def wait_for_redis(url: str, timeout: float) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        client.close()


def wait_for_services(settings: Settings, timeout: float = 60.0) -> None:
    wait_for_database(settings.database_url, timeout)
    wait_for_redis(settings.redis_url, timeout)
