"""Liveness and readiness."""

from __future__ import annotations

import time

import redis
from fastapi import APIRouter, Response, status
from sqlalchemy import text

from almanac.api.deps import CeleryDep, SessionDep, SettingsDep
from almanac.api.schemas import CheckOut, HealthOut, ReadinessOut
from almanac.core.heartbeat import BEAT_HEARTBEAT_KEY

router = APIRouter(prefix="/health", tags=["health"])


@router.get("", response_model=HealthOut)
def health() -> HealthOut:
    """The API process is up."""
    return HealthOut(status="ok")


@router.get(
    "/ready",
    response_model=ReadinessOut,
    responses={503: {"model": ReadinessOut, "description": "A check failed: the body says which"}},
)
def ready(
    session: SessionDep, settings: SettingsDep, celery: CeleryDep, response: Response
) -> ReadinessOut:
    """PostgreSQL, Redis, at least one worker and beat's heartbeat, each with its
    own status; 503 if one fails."""
    checks = {
        "database": _check_database(session),
        "redis": _check_redis(settings.redis_url),
    }
    checks["workers"] = (
        _check_workers(celery)
        if checks["redis"].ok
        else CheckOut(ok=False, detail="cannot ask workers: Redis is unreachable")
    )
    checks["beat"] = (
        _check_beat(settings.redis_url, settings.beat_stale_after_seconds)
        if checks["redis"].ok
        else CheckOut(ok=False, detail="cannot read beat's heartbeat: Redis is unreachable")
    )
    healthy = all(check.ok for check in checks.values())
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadinessOut(status="ok" if healthy else "unavailable", checks=checks)


def _check_database(session: SessionDep) -> CheckOut:
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:
        return CheckOut(ok=False, detail=f"PostgreSQL unreachable: {type(exc).__name__}")
    return CheckOut(ok=True, detail="PostgreSQL answers")


def _check_redis(url: str) -> CheckOut:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return CheckOut(ok=False, detail=f"Redis unreachable: {type(exc).__name__}")
    finally:
        client.close()
    return CheckOut(ok=True, detail="Redis answers")


def _check_workers(celery: CeleryDep) -> CheckOut:
    try:
        replies = celery.control.ping(timeout=1.0)
    except Exception as exc:
        return CheckOut(ok=False, detail=f"cannot ping workers: {type(exc).__name__}")
    if not replies:
        return CheckOut(ok=False, detail="no worker answered a ping within 1 s")
    names = sorted(name for reply in replies for name in reply)
    return CheckOut(ok=True, detail=f"{len(names)} worker(s): {', '.join(names)}")


def _check_beat(url: str, stale_after: int) -> CheckOut:
    """Beat writes the time on every tick (at least every 30 s): an old or
    missing heartbeat means no scheduled run is being sent."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        raw = client.get(BEAT_HEARTBEAT_KEY)
    except redis.RedisError as exc:
        return CheckOut(ok=False, detail=f"cannot read beat's heartbeat: {type(exc).__name__}")
    finally:
        client.close()
    if raw is None:
        return CheckOut(ok=False, detail="beat has never beaten: is `celery beat` running?")
    try:
        beat_at = float(raw)
    except ValueError:
        return CheckOut(ok=False, detail=f"beat's heartbeat is unreadable: {raw!r}")
    age = max(0.0, time.time() - beat_at)
    last = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(beat_at))
    if age > stale_after:
        return CheckOut(
            ok=False,
            detail=f"beat's last heartbeat was {age:.0f} s ago ({last}): is `celery beat` running?",
            last_seen_at=last,
        )
    return CheckOut(ok=True, detail=f"beat ticked {age:.0f} s ago", last_seen_at=last)
