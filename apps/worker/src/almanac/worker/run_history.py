"""Every task leaves a row in `task_runs`: received, started, retried, finished.

Celery's signals feed it: the worker's main process sees a task received,
revoked or rejected, a pool process sees it start and end. Runtime is measured
here, in the process that ran the task. Keeping the history must never break a
task: a failure to write is logged and nothing more.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from celery import Task
from celery.signals import (
    task_failure,
    task_postrun,
    task_prerun,
    task_received,
    task_rejected,
    task_retry,
    task_revoked,
    task_success,
    task_unknown,
)

from almanac.pipeline.sessions import sessions
from almanac.pipeline.task_history import TaskEvent, record

log = logging.getLogger("almanac.worker.run_history")
MAX_ERROR_CHARS = 4000

_started: dict[str, float] = {}
"""When each task running in this process started (monotonic seconds)."""


def _keep(event: TaskEvent) -> None:
    try:
        record(sessions(), event)
    except Exception:
        log.exception("could not record that task %s is %s", event.task_id, event.state)


def _plain(value: Any) -> Any:
    """`value` as JSON would carry it (anything else as its text)."""
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


def _event(
    task_id: str,
    task_name: str,
    state: str,
    request: Any,
    *,
    retries: int | None = None,
    runtime: float | None = None,
    error: str | None = None,
) -> TaskEvent:
    """The event, with what `request` (None if unknown) tells of the task."""
    delivery = getattr(request, "delivery_info", None) or {}
    args = _plain(list(getattr(request, "args", None) or []))
    kwargs = _plain(dict(getattr(request, "kwargs", None) or {}))
    if retries is None:
        known = getattr(request, "retries", None)
        retries = None if known is None else int(known)
    return TaskEvent(
        task_id=task_id,
        task_name=task_name,
        state=state,
        at=datetime.now(UTC),
        retries=retries,
        queue=delivery.get("routing_key"),
        worker=getattr(request, "hostname", None),
        args=args if isinstance(args, list) else [args],
        kwargs=kwargs if isinstance(kwargs, dict) else {},
        runtime_seconds=runtime,
        error=error[:MAX_ERROR_CHARS] if error else None,
    )


def _runtime(task_id: str) -> float | None:
    started = _started.pop(task_id, None)
    return None if started is None else time.monotonic() - started


def _describe(exc: BaseException | None) -> str:
    return f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"


@task_received.connect
def _received(request: Any = None, **_: Any) -> None:
    if request is None:
        return
    retries = int((getattr(request, "request_dict", None) or {}).get("retries") or 0)
    _keep(_event(request.id, request.task_name, "received", request, retries=retries))


@task_prerun.connect
def _prerun(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    if task_id is None or task is None:
        return
    _started[task_id] = time.monotonic()
    _keep(_event(task_id, task.name, "started", task.request))


@task_retry.connect
def _retried(sender: Task | None = None, request: Any = None, reason: Any = None, **_: Any) -> None:
    if sender is None or request is None or request.id is None:
        return
    cause = getattr(reason, "exc", None) or reason
    error = _describe(cause) if isinstance(cause, BaseException) else str(cause)
    retries = int(getattr(request, "retries", 0) or 0) + 1
    runtime = _runtime(request.id)
    _keep(
        _event(
            request.id, sender.name, "retry", request, retries=retries, runtime=runtime, error=error
        )
    )


@task_success.connect
def _succeeded(sender: Task | None = None, **_: Any) -> None:
    if sender is None or sender.request.id is None:
        return
    task_id = sender.request.id
    _keep(_event(task_id, sender.name, "success", sender.request, runtime=_runtime(task_id)))


@task_failure.connect
def _failed(
    sender: Task | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    **_: Any,
) -> None:
    if sender is None or task_id is None:
        return
    # The worker's main process reports a pool process killed under its task (hard
    # time limit, lost process) without that task's request.
    request = sender.request if sender.request.id == task_id else _Arguments(args, kwargs)
    _keep(
        _event(
            task_id,
            sender.name,
            "failure",
            request,
            runtime=_runtime(task_id),
            error=_describe(exception),
        )
    )


@task_postrun.connect
def _forget_start(task_id: str | None = None, **_: Any) -> None:
    if task_id is not None:
        _started.pop(task_id, None)


@task_revoked.connect
def _revoked(
    sender: Any = None,
    request: Any = None,
    terminated: bool = False,
    signum: Any = None,
    expired: bool = False,
    **_: Any,
) -> None:
    if request is None:
        return
    if expired:
        why = "expired before it ran"
    elif terminated:
        why = f"terminated (signal {signum})"
    else:
        why = "revoked"
    name = getattr(sender, "name", None) or getattr(request, "task", None) or "?"
    _keep(_event(request.id, str(name), "revoked", request, error=why))


@task_unknown.connect
def _unknown(name: str | None = None, id: str | None = None, message: Any = None, **_: Any) -> None:
    if id is None:
        return
    headers = getattr(message, "headers", None) or {}
    request = _MessageRequest(message, headers)
    _keep(_event(id, name or "?", "rejected", request, error=f"no task named {name!r}"))


@task_rejected.connect
def _rejected(message: Any = None, exc: BaseException | None = None, **_: Any) -> None:
    headers = getattr(message, "headers", None) or {}
    task_id = headers.get("id")
    if not task_id:
        return
    request = _MessageRequest(message, headers)
    _keep(_event(task_id, headers.get("task") or "?", "rejected", request, error=_describe(exc)))


class _Arguments:
    """A task's arguments, where nothing else is known of its request."""

    def __init__(self, args: Any, kwargs: Any) -> None:
        self.args = args if isinstance(args, (list, tuple)) else []
        self.kwargs = kwargs if isinstance(kwargs, dict) else {}


class _MessageRequest:
    """What a message that never became a task tells of it."""

    def __init__(self, message: Any, headers: dict[str, Any]) -> None:
        self.delivery_info = getattr(message, "delivery_info", None) or {}
        self.hostname = None
        self.retries = int(headers.get("retries") or 0)
        body = getattr(message, "decode", None)
        try:
            decoded = body() if callable(body) else None
        except Exception:
            decoded = None
        if isinstance(decoded, (list, tuple)) and len(decoded) >= 2:
            self.args, self.kwargs = decoded[0], decoded[1]
        else:
            self.args, self.kwargs = [], {}
