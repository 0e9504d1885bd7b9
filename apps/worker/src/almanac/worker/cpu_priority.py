"""A worker yields the CPU to the API: scrapes are background work, reads are not.

On a machine that runs both (`make dev`, a small server), a busy worker would
otherwise take the CPU from a reader waiting for `/events`. The worker lowers
its priority by `ALMANAC_WORKER_NICENESS` before its pool starts, so that every
pool process has the same.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery.signals import worker_init

from almanac.core.settings import get_settings

log = logging.getLogger("almanac.worker")


def lower_priority(niceness: int) -> int:
    """Make this process at least `niceness` nice (never less nice than it is); returns
    its niceness now."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if niceness > current:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
        except OSError as exc:
            log.warning("could not lower the worker's CPU priority to nice %d: %s", niceness, exc)
    return os.getpriority(os.PRIO_PROCESS, 0)


@worker_init.connect
def _lower_priority(**_: Any) -> None:
    lower_priority(get_settings().worker_niceness)
