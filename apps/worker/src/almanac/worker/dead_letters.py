"""A task that fails for good (after its last retry) is kept in `dead_letters`."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.signals import task_failure

from almanac.pipeline.sessions import sessions
from almanac.pipeline.task_records import DeadLetter
from almanac.pipeline.task_records import keep_dead_letter as keep

log = logging.getLogger("almanac.worker.dead_letters")


@task_failure.connect
def keep_dead_letter(
    sender: Task | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    einfo: Any = None,
    **_: Any,
) -> None:
    if sender is None or task_id is None:
        return
    error = f"{type(exception).__name__}: {exception}" if exception else "unknown error"
    try:
        keep(
            sessions(),
            DeadLetter(
                task_id=task_id,
                task_name=sender.name,
                args=list(args or []),
                kwargs=dict(kwargs or {}),
                error=error,
                traceback=str(einfo) if einfo else None,
                retries=int(getattr(sender.request, "retries", 0) or 0),
            ),
        )
    except Exception:
        log.exception("task %s failed (%s) and could not be kept as a dead letter", task_id, error)
        return
    log.error("task %s failed for good, kept as a dead letter: %s", task_id, error)
