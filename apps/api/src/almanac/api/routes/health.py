"""Liveness and readiness."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Response, status
from sqlalchemy import text

from almanac.api.deps import CeleryDep, SessionDep, SettingsDep
from almanac.api.schemas import CheckOut, HealthOut, ReadinessOut
from almanac.core.readiness import readiness, worker_names

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
    checks = readiness(
        lambda: session.execute(text("SELECT 1")),
        settings.redis_url,
        lambda seconds: worker_names(celery.control.ping(timeout=seconds)),
        settings.beat_stale_after_seconds,
    )
    healthy = all(check.ok for check in checks.values())
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadinessOut(
        status="ok" if healthy else "unavailable",
        checks={name: CheckOut.model_validate(asdict(check)) for name, check in checks.items()},
    )
