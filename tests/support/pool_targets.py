"""What the pool tests run in a pool process: plain functions, found by name."""

from __future__ import annotations

import os
import threading
import time

from celery.exceptions import SoftTimeLimitExceeded


def pid_after(seconds: float) -> int:
    """This process's id, `seconds` from now."""
    time.sleep(seconds)
    return os.getpid()


def together(barrier_size: int, seconds: float) -> str:
    """'together' if `barrier_size` calls were running at once in this process within
    `seconds`, else 'alone'."""
    barrier = _barrier(barrier_size)
    try:
        barrier.wait(seconds)
    except threading.BrokenBarrierError:
        return "alone"
    return "together"


def stopped_by_soft_limit(seconds: float) -> str:
    """Busy for up to `seconds`; what stopped it."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            sum(range(1000))
    except SoftTimeLimitExceeded:
        return "soft time limit"
    return "nothing"


def ignoring_soft_limit(seconds: float) -> str:
    """Runs `seconds` whatever it is told."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            time.sleep(0.05)
        except SoftTimeLimitExceeded:
            continue
    return "done"


_barriers: dict[int, threading.Barrier] = {}
_barriers_lock = threading.Lock()


def _barrier(size: int) -> threading.Barrier:
    with _barriers_lock:
        return _barriers.setdefault(size, threading.Barrier(size))
