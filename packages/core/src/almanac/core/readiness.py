"""Is Almanac ready to work? PostgreSQL, Redis, a worker and beat, each
checked with its own verdict; `GET /health/ready` and `almanac health` show them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from almanac.core.heartbeat import BEAT_HEARTBEAT_KEY

PING_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str
    last_seen_at: str | None = None
    """For beat: when it last ticked (UTC)."""


def readiness(
    select_one: Callable[[], object],
    redis_url: str,
    ping_workers: Callable[[float], list[str]],
    beat_stale_after: int,
) -> dict[str, Check]:
    """Every check; `select_one` runs `SELECT 1`, `ping_workers` names the workers
    that answered within the given seconds."""
    checks = {"database": _database(select_one), "redis": _redis(redis_url)}
    if checks["redis"].ok:
        checks["workers"] = _workers(ping_workers)
        checks["beat"] = _beat(redis_url, beat_stale_after)
    else:
        checks["workers"] = Check(False, "cannot ask workers: Redis is unreachable")
        checks["beat"] = Check(False, "cannot read beat's heartbeat: Redis is unreachable")
    return checks


def _database(select_one: Callable[[], object]) -> Check:
    try:
        select_one()
    except Exception as exc:
        return Check(False, f"PostgreSQL unreachable: {type(exc).__name__}")
    return Check(True, "PostgreSQL answers")


def _client(url: str) -> redis.Redis[bytes]:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def _redis(url: str) -> Check:
    client = _client(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        return Check(False, f"Redis unreachable: {type(exc).__name__}")
    finally:
        client.close()
    return Check(True, "Redis answers")


def _workers(ping_workers: Callable[[float], list[str]]) -> Check:
    try:
        names = sorted(ping_workers(PING_SECONDS))
    except Exception as exc:
        return Check(False, f"cannot ping workers: {type(exc).__name__}")
    if not names:
        return Check(False, f"no worker answered a ping within {PING_SECONDS:.0f} s")
    return Check(True, f"{len(names)} worker(s): {', '.join(names)}")


def _beat(url: str, stale_after: int) -> Check:
    """Beat writes the time on every tick (at least every 30 s): an old or
    missing heartbeat means no scheduled run is being sent."""
    client = _client(url)
    try:
        raw = client.get(BEAT_HEARTBEAT_KEY)
    except redis.RedisError as exc:
        return Check(False, f"cannot read beat's heartbeat: {type(exc).__name__}")
    finally:
        client.close()
    if raw is None:
        return Check(False, "beat has never beaten: is `celery beat` running?")
    try:
        beat_at = float(raw)
    except (TypeError, ValueError):
        return Check(False, f"beat's heartbeat is unreadable: {raw!r}")
    age = max(0.0, time.time() - beat_at)
    last = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(beat_at))
    if age > stale_after:
        return Check(
            False,
            f"beat's last heartbeat was {age:.0f} s ago ({last}): is `celery beat` running?",
            last,
        )
    return Check(True, f"beat ticked {age:.0f} s ago", last)


def worker_names(replies: list[dict[str, object]] | None) -> list[str]:
    """The worker names in Celery's answer to a ping."""
    return [name for reply in replies or [] for name in reply]
