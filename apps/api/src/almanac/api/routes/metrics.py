"""`GET /metrics`: Almanac's figures in Prometheus's text format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CollectorRegistry, generate_latest

from almanac.api.deps import SessionDep, SettingsDep
from almanac.api.metrics_collector import AlmanacCollector

router = APIRouter(tags=["operations"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {
                CONTENT_TYPE: {
                    "schema": {"type": "string"},
                    "example": "# TYPE almanac_sources gauge\nalmanac_sources 12.0\n",
                }
            },
            "description": "The figures, one per line",
        }
    },
)
def metrics(session: SessionDep, settings: SettingsDep) -> Response:
    """Task runs, scrape runs, events written, source health, queue lengths and task runtimes."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AlmanacCollector(session, settings.redis_url))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE)
