"""The worker's pool on its own: real forked processes running plain functions in threads.

Celery's worker calls a pool with a function and callbacks; these tests call it the
same way and watch the callbacks, as the worker would.
"""

from __future__ import annotations

import queue
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from billiard.einfo import ExceptionWithTraceback
from billiard.exceptions import WorkerLostError

from almanac.worker import app
from almanac.worker.threaded_processes import ThreadedProcessPool
from tests.support import pool_targets

WAIT = 30.0


class Calls:
    """What the pool told about each task: accepted (with the pid), done, failed, timed out."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, int, Any]] = queue.Queue()

    def callbacks(self, number: int) -> dict[str, Callable[..., None]]:
        return {
            "accept_callback": lambda pid, _: self.events.put(("accepted", number, pid)),
            "callback": lambda result: self.events.put(("done", number, result)),
            "error_callback": lambda info: self.events.put(("failed", number, _error(info))),
            "timeout_callback": lambda soft, _: self.events.put(
                ("soft limit" if soft else "hard limit", number, None)
            ),
        }

    def until(self, kind: str, number: int) -> Any:
        """The payload of `kind` for task `number`, once it comes (others are kept)."""
        seen: list[tuple[str, int, Any]] = []
        try:
            while True:
                event = self.events.get(timeout=WAIT)
                if event[:2] == (kind, number):
                    return event[2]
                seen.append(event)
        except queue.Empty:
            raise AssertionError(f"no {kind} for task {number}; saw {seen}") from None
        finally:
            for event in seen:
                self.events.put(event)


def _error(info: Any) -> BaseException:
    """The exception as Celery's worker reads it (billiard wraps it with its traceback)."""
    error = info.exception
    return error.exc if isinstance(error, ExceptionWithTraceback) else error


@pytest.fixture
def calls() -> Calls:
    return Calls()


def _pool(limit: int, processes: int, **options: Any) -> ThreadedProcessPool:
    pool = ThreadedProcessPool(
        limit, initargs=(app, f"pool-test@{socket.gethostname()}"), processes=processes, **options
    )
    pool.start()
    return pool


@pytest.fixture
def two_by_two() -> Iterator[ThreadedProcessPool]:
    pool = _pool(4, 2)
    yield pool
    pool.terminate()


def test_the_concurrency_is_shared_among_the_processes(two_by_two: ThreadedProcessPool) -> None:
    info = two_by_two.info
    assert info["max-concurrency"] == 4
    assert len(info["processes"]) == 2
    assert info["threads-per-process"] == 2


def test_tasks_run_side_by_side_in_each_process(
    two_by_two: ThreadedProcessPool, calls: Calls
) -> None:
    for number in range(4):
        two_by_two.apply_async(pool_targets.together, args=(2, 10.0), **calls.callbacks(number))
    pids = [calls.until("accepted", number) for number in range(4)]
    assert [calls.until("done", number) for number in range(4)] == ["together"] * 4
    assert sorted(pids.count(pid) for pid in set(pids)) == [2, 2]
    assert set(pids) == set(two_by_two.info["processes"])


def test_a_task_past_its_soft_limit_has_it_raised_in_its_thread(
    two_by_two: ThreadedProcessPool, calls: Calls
) -> None:
    two_by_two.apply_async(
        pool_targets.stopped_by_soft_limit, args=(60.0,), soft_timeout=0.5, **calls.callbacks(1)
    )
    assert calls.until("soft limit", 1) is None
    assert calls.until("done", 1) == "soft time limit"


def test_a_task_past_its_hard_limit_ends_its_process_and_its_neighbour_is_lost(
    calls: Calls,
) -> None:
    pool = _pool(2, 1)
    try:
        (first_pid,) = pool.info["processes"]
        pool.apply_async(
            pool_targets.ignoring_soft_limit,
            args=(60.0,),
            soft_timeout=0.5,
            timeout=5.0,
            **calls.callbacks(1),
        )
        pool.apply_async(pool_targets.pid_after, args=(60.0,), **calls.callbacks(2))
        assert calls.until("accepted", 2) == first_pid
        assert calls.until("hard limit", 1) is None
        assert isinstance(calls.until("failed", 2), WorkerLostError)
        pool.apply_async(pool_targets.pid_after, args=(0.0,), **calls.callbacks(3))
        replacement = calls.until("done", 3)
        assert replacement != first_pid
        assert pool.info["processes"] == [replacement]
    finally:
        pool.terminate()


def test_a_process_is_replaced_after_its_tasks_once_they_have_ended(calls: Calls) -> None:
    pool = _pool(2, 1, maxtasksperchild=2)
    try:
        for number in (1, 2, 3):
            pool.apply_async(pool_targets.pid_after, args=(0.2,), **calls.callbacks(number))
        first, second, third = (calls.until("done", number) for number in (1, 2, 3))
        assert first == second
        assert third != first
    finally:
        pool.terminate()


def test_a_cold_stop_reports_the_running_tasks_lost(calls: Calls) -> None:
    pool = _pool(2, 1)
    pool.apply_async(pool_targets.pid_after, args=(60.0,), **calls.callbacks(1))
    calls.until("accepted", 1)
    pool.terminate()
    assert isinstance(calls.until("failed", 1), WorkerLostError)
    assert pool.info["processes"] == []


def test_a_warm_stop_lets_the_running_tasks_finish(calls: Calls) -> None:
    pool = _pool(2, 1)
    pool.apply_async(pool_targets.pid_after, args=(1.0,), **calls.callbacks(1))
    pid = calls.until("accepted", 1)
    pool.stop()
    assert calls.until("done", 1) == pid
    assert pool.info["processes"] == []
