"""The FastAPI app: `uvicorn almanac.api.main:app`."""

from __future__ import annotations

import sys

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.config import STARTUP_FAILURE

from almanac.api.api_keys import check_api_keys, require_api_key
from almanac.api.body_limit import BodyLimitMiddleware
from almanac.api.error_bodies import add_error_handlers
from almanac.api.error_responses import COMMON_ERRORS
from almanac.api.request_ids import RequestIdMiddleware, configure_logging
from almanac.api.routes import (
    calendar_feeds,
    categories,
    dead_letters,
    events,
    health,
    metrics,
    runs,
    sources,
    tasks,
    venues,
)
from almanac.api.startup_objects import frozen_after_start
from almanac.core.errors import ConfigError
from almanac.core.settings import get_settings


def create_app() -> FastAPI:
    try:
        settings = get_settings()
        configure_logging(settings)
        check_api_keys(settings)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        # The status by which uvicorn's supervisor of several workers knows one that
        # cannot start: it stops, where it would start another after any other status.
        raise SystemExit(STARTUP_FAILURE) from None
    app = FastAPI(
        title="Almanac",
        summary="A city's events in one place: sources, events and calendar feeds.",
        version="0.1.0",
        dependencies=[Depends(require_api_key)],
        responses=COMMON_ERRORS,
        lifespan=frozen_after_start,
    )
    routers = (health, sources, venues, categories, runs, events, calendar_feeds, tasks)
    for module in (*routers, dead_letters, metrics):
        app.include_router(module.router)
    add_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    return app


app = create_app()
