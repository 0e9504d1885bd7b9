"""Each API request gets an id: taken from `X-Request-ID` when the caller sends
a sane one, made up otherwise. It is sent back in the same header, written on
every log line of the request, and carried into any task the request starts."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import before_task_publish
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from almanac.core import log_context
from almanac.core.settings import Settings

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class RequestIdMiddleware:
    """Pure ASGI, so the id is set before any route runs and seen by its logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(log_context.REQUEST_ID_HEADER.lower().encode())
        request_id = log_context.request_id_from(sent.decode("latin-1") if sent else None)
        token = log_context.request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                headers.append((log_context.REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log_context.request_id.reset(token)


def _carry_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    current = log_context.request_id.get()
    if current and headers is not None:
        headers.setdefault(log_context.TASK_HEADER, current)


before_task_publish.connect(_carry_request_id, weak=False)


def configure_logging(settings: Settings) -> None:
    """Almanac's format on the API's lines and uvicorn's, with the request id."""
    log_context.install_record_fields()
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    root.setLevel(settings.log_level)
    log_context.dress_handlers(root, settings.log_format)
    log_context.quiet_per_request_lines(settings.log_level)
    for name in UVICORN_LOGGERS:
        log_context.dress_handlers(logging.getLogger(name), settings.log_format)
