"""When the running task's time is up, where its worker says so.

A task that runs in a thread of a pool process (`almanac.worker.threaded_processes`)
cannot be stopped by a signal as a process's main thread can: its soft time
limit is raised in its thread when the thread next runs Python code. A thread
waiting on the network would not run any until the wait ended, so the fetches
keep to the task's end as well as their own (`almanac.pipeline.fetch`), and the
limit takes effect as it falls due. Threads the task starts inherit it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_ENDS_AT: ContextVar[float | None] = ContextVar("almanac_task_ends_at", default=None)


@contextmanager
def running_for(seconds: float | None) -> Iterator[None]:
    """The block is a task whose time is up `seconds` from now (None: no limit)."""
    token = _ENDS_AT.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _ENDS_AT.reset(token)


def ends_at() -> float | None:
    """When the running task's time is up (monotonic seconds), if it has a limit."""
    return _ENDS_AT.get()
