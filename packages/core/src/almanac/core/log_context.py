"""What every log line says about where it comes from, in text or as JSON.

An API request gets an id; a task it starts carries that id in a message
header, so the worker's lines about the scrape name the request that asked
for it. Each line also names the task and the source it is about, `-` where
there is none. A password in a URL (`https://user:password@host/`), whichever
library logs it, is written as `https://***@host/`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter

from almanac.core.addresses import without_url_credentials

NONE = "-"
REQUEST_ID_HEADER = "X-Request-ID"
TASK_HEADER = "almanac_request_id"
"""The Celery message header that carries the request id into a task."""

request_id: ContextVar[str | None] = ContextVar("almanac_request_id", default=None)
source: ContextVar[str | None] = ContextVar("almanac_source", default=None)
task: ContextVar[tuple[str, str] | None] = ContextVar("almanac_task", default=None)
"""The running task's id and name, for threads a task starts (Celery's own record of
the current task is its thread's alone)."""

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
JSON_FIELDS = (
    "asctime",
    "levelname",
    "name",
    "processName",
    "task_id",
    "task_name",
    "source",
    "request_id",
    "message",
)
TEXT_FORMAT = (
    "%(asctime)s %(levelname)s [%(processName)s] request=%(request_id)s "
    "task=%(task_id)s source=%(source)s %(name)s: %(message)s"
)
LogFormat = Literal["text", "json"]


def request_id_from(header: str | None) -> str:
    """The id a caller sent, if it is a sane token; a new one otherwise."""
    if header and _SAFE_ID.match(header):
        return header
    return uuid.uuid4().hex


class _GuardedRecord(logging.LogRecord):
    """A log record whose message never shows a password in a URL."""

    def getMessage(self) -> str:
        return without_url_credentials(super().getMessage())


TaskFields = Callable[[], tuple[str | None, str | None]]
"""The running task's id and name, where a process runs tasks."""


def install_record_fields(task_fields: TaskFields | None = None) -> None:
    """Give every log record of this process `request_id`, `source`, `task_id`
    and `task_name` (`-` when unknown), whichever handler or library logs it.

    Done where records are made rather than by a handler's filter, so that
    handlers set up later (Celery's, billiard's) format them too.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "almanac_fields", False):
        previous = previous.wrapped  # type: ignore[attr-defined]

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id.get() or NONE
        record.source = source.get() or NONE
        task_id, task_name = task_fields() if task_fields else (None, None)
        record.task_id = task_id or NONE
        record.task_name = task_name or NONE
        if type(record) is logging.LogRecord:
            record.__class__ = _GuardedRecord
        return record

    make_record.almanac_fields = True  # type: ignore[attr-defined]
    make_record.wrapped = previous  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)


class _TextFormatter(logging.Formatter):
    def formatException(self, ei: Any) -> str:
        return without_url_credentials(super().formatException(ei))


class _JsonFormatter(JsonFormatter):
    def formatException(self, ei: Any) -> str:
        return without_url_credentials(str(super().formatException(ei)))


def formatter(log_format: LogFormat, text_format: str = TEXT_FORMAT) -> logging.Formatter:
    """One JSON object per line, or the readable text line; tracebacks lose URL passwords
    as messages do."""
    if log_format == "json":
        return _JsonFormatter(
            list(JSON_FIELDS),
            rename_fields={
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "processName": "process",
            },
        )
    return _TextFormatter(text_format)


PER_REQUEST_LOGGERS = ("httpx",)
"""Loggers that write a line for every HTTP request at INFO: a scrape of fifty sites
would bury its fifty run lines under a thousand of theirs (each request is in the
run's fetch trace). They speak at DEBUG only (`ALMANAC_LOG_LEVEL=DEBUG`)."""


def quiet_per_request_lines(log_level: str) -> None:
    level = logging.DEBUG if log_level == "DEBUG" else logging.WARNING
    for name in PER_REQUEST_LOGGERS:
        logging.getLogger(name).setLevel(level)


def dress_handlers(
    logger: logging.Logger, log_format: LogFormat, text_format: str = TEXT_FORMAT
) -> None:
    """Give each of the logger's handlers Almanac's format (the fields come from
    `install_record_fields`)."""
    for handler in logger.handlers:
        handler.setFormatter(formatter(log_format, text_format))
