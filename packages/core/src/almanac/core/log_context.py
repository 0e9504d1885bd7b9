"""What every log line says about where it comes from, in text or as JSON.

An API request gets an id; a task it starts carries that id in a message
header, so the worker's lines about the scrape name the request that asked
for it. Each line also names the task and the source it is about, `-` where
there is none.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

NONE = "-"
REQUEST_ID_HEADER = "X-Request-ID"
TASK_HEADER = "almanac_request_id"
"""The Celery message header that carries the request id into a task."""

request_id: ContextVar[str | None] = ContextVar("almanac_request_id", default=None)
source: ContextVar[str | None] = ContextVar("almanac_source", default=None)

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


class ContextFilter(logging.Filter):
    """Gives every record the current request id and source (`-` when unknown),
    and a task id and name unless a task-aware filter set them already."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get() or NONE
        if not hasattr(record, "source"):
            record.source = source.get() or NONE
        for name in ("task_id", "task_name"):
            if not hasattr(record, name):
                setattr(record, name, NONE)
        return True


def formatter(log_format: LogFormat, text_format: str = TEXT_FORMAT) -> logging.Formatter:
    """One JSON object per line, or the readable text line."""
    if log_format == "json":
        return JsonFormatter(
            list(JSON_FIELDS),
            rename_fields={
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "processName": "process",
            },
        )
    return logging.Formatter(text_format)


def dress_handlers(
    logger: logging.Logger, log_format: LogFormat, text_format: str = TEXT_FORMAT
) -> None:
    """Give each of the logger's handlers the context filter and Almanac's format."""
    for handler in logger.handlers:
        if not any(isinstance(f, ContextFilter) for f in handler.filters):
            handler.addFilter(ContextFilter())
        handler.setFormatter(formatter(log_format, text_format))
