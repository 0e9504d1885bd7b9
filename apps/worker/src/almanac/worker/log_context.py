"""Every log line written while a task runs names the task, its source and the
API request that started it, in text or as JSON (`ALMANAC_LOG_FORMAT`)."""

from __future__ import annotations

import logging
from contextvars import Token
from typing import Any

from celery import Task
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_postrun,
    task_prerun,
)

from almanac.core import log_context
from almanac.core.settings import get_settings

_tokens: dict[str, tuple[Token[str | None], Token[str | None], Token[tuple[str, str] | None]]] = {}


@after_setup_logger.connect
@after_setup_task_logger.connect
def _dress_handlers(logger: logging.Logger, **_: Any) -> None:
    settings = get_settings()
    log_context.dress_handlers(logger, settings.log_format)
    log_context.quiet_per_request_lines(settings.log_level)


@task_prerun.connect
def _enter_task(
    task_id: str | None = None, task: Task | None = None, kwargs: Any = None, **_: Any
) -> None:
    if task_id is None or task is None:
        return
    request_id = task.request.get(log_context.TASK_HEADER)
    source = (kwargs or {}).get("source")
    _tokens[task_id] = (
        log_context.request_id.set(str(request_id) if request_id else None),
        log_context.source.set(str(source) if source is not None else None),
        log_context.task.set((task_id, task.name)),
    )


@task_postrun.connect
def _leave_task(task_id: str | None = None, **_: Any) -> None:
    tokens = _tokens.pop(task_id or "", None)
    if tokens is not None:
        log_context.request_id.reset(tokens[0])
        log_context.source.reset(tokens[1])
        log_context.task.reset(tokens[2])


@before_task_publish.connect
def _pass_request_id_on(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """A task sent while handling a request (or another task) carries its request id."""
    current = log_context.request_id.get()
    if current and headers is not None:
        headers.setdefault(log_context.TASK_HEADER, current)
