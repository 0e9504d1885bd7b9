"""Every log line written while a task runs carries that task's id."""

from __future__ import annotations

import logging
from typing import Any

from celery import current_task
from celery.signals import after_setup_logger

NO_TASK = "-"


class TaskIdFilter(logging.Filter):
    """Gives every record the running task's id and name (`-` outside a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "task_id"):
            request = getattr(current_task, "request", None) if current_task else None
            record.task_id = getattr(request, "id", None) or NO_TASK
            record.task_name = getattr(current_task, "name", None) or NO_TASK
        return True


@after_setup_logger.connect
def _add_task_ids(logger: logging.Logger, **_: Any) -> None:
    for handler in logger.handlers:
        handler.addFilter(TaskIdFilter())
