"""The FastAPI app: `uvicorn almanac.api.main:app`."""

from __future__ import annotations

import sys

from fastapi import FastAPI

from almanac.api.request_ids import RequestIdMiddleware, configure_logging
from almanac.api.routes import (
    calendar_feeds,
    dead_letters,
    events,
    health,
    metrics,
    runs,
    sources,
    tasks,
)
from almanac.core.errors import ConfigError
from almanac.core.settings import get_settings


def create_app() -> FastAPI:
    try:
        settings = get_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
    configure_logging(settings)
    app = FastAPI(
        title="Almanac",
        summary="A city's events in one place: sources, events and calendar feeds.",
        version="0.1.0",
    )
    for module in (health, sources, runs, events, calendar_feeds, tasks, dead_letters, metrics):
        app.include_router(module.router)
    app.add_middleware(RequestIdMiddleware)
    return app


app = create_app()
