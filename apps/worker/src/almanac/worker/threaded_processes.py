"""A worker pool of a few processes, each running several tasks at once in threads.

A scrape spends nearly all its time waiting for the sites it reads: a source of
twenty pages takes 0.6 s, of which its own work is a tenth. Celery's prefork
pool gives each task a process of its own, so that a worker scraping sixteen
sources at once has sixteen processes, each with cold caches, its own
connections and its own copies of memory pages; its threads pool runs every
task in one process, on one core. This pool forks one process per core (or
`ALMANAC_WORKER_PROCESSES`) and shares the worker's concurrency among them: each
runs up to its share of tasks at once, in threads, and their waits overlap.

It keeps what Celery's worker expects of a pool:

- a task whose process dies is reported lost (`WorkerLostError`), and with late
  acknowledgement it is delivered again; the process is replaced;
- a process is replaced once it has run `--max-tasks-per-child` tasks: it is
  given no new task, ends when its last one has, and a fresh one takes its place;
- a task past its soft time limit has `SoftTimeLimitExceeded` raised in its
  thread; past its hard limit, its process is ended (its other tasks are then
  lost and delivered again);
- a warm shutdown waits for the running tasks; a cold one ends the processes.
"""

from __future__ import annotations

import contextlib
import ctypes
import heapq
import itertools
import logging
import math
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from billiard.einfo import ExceptionInfo
from billiard.exceptions import Terminated, WorkerLostError
from celery.concurrency.base import BasePool
from celery.concurrency.prefork import process_initializer
from celery.exceptions import SoftTimeLimitExceeded

from almanac.core import task_time
from almanac.core.settings import get_settings

log = logging.getLogger("celery.pool")

_FORK = multiprocessing.get_context("fork")
_TICK_SECONDS = 1.0
"""The longest the supervisor sleeps: how late a hard time limit may act."""
_STOP = None
"""Sent to a process: take no more tasks, end once the running ones have."""


@dataclass(eq=False)
class _Job:
    number: int
    target: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    callback: Callable[[Any], None] | None
    accept_callback: Callable[[int, float], None] | None
    error_callback: Callable[[ExceptionInfo], None] | None
    timeout_callback: Callable[[bool, float], None] | None
    soft_timeout: float | None
    timeout: float | None
    process: _Process | None = None
    hard_deadline: float | None = None
    terminated: int | None = None

    def terminate(self, signum: int) -> None:
        """Celery's worker ended (or is ending) the task's process with `signum`: the task
        is then reported terminated, not lost."""
        self.terminated = signum


@dataclass(eq=False)
class _Process:
    child: Any  # multiprocessing's forked Process
    connection: Connection
    jobs: dict[int, _Job] = field(default_factory=dict)
    finished: int = 0
    retiring: bool = False

    @property
    def pid(self) -> int:
        return int(self.child.pid)


class ThreadedProcessPool(BasePool):
    """`processes` forked processes × `threads` tasks at once in each (see the module)."""

    signal_safe = False
    body_can_be_buffer = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = max(1, int(kwargs.get("limit") or (args[0] if args else 1) or 1))
        wanted = (
            self.options.get("processes")
            or get_settings().worker_processes
            or len(os.sched_getaffinity(0))
        )
        self.processes = max(1, min(limit, wanted))
        self.threads = math.ceil(limit / self.processes)
        self.limit = self.processes * self.threads
        self.max_tasks_per_child: int | None = self.options.get("maxtasksperchild")
        self.initargs: tuple[Any, ...] = self.options.get("initargs") or ()
        self._lock = threading.RLock()
        self._running: list[_Process] = []
        self._waiting: deque[_Job] = deque()
        self._numbers = itertools.count(1)
        self._deadlines: list[tuple[float, int, _Job]] = []
        self._accepting = True
        self._stopping = False
        self._supervisor: threading.Thread | None = None

    # What Celery's worker calls.

    def on_start(self) -> None:
        with self._lock:
            for _ in range(self.processes):
                self._running.append(self._fork())
        self._supervisor = threading.Thread(
            target=self._supervise, name="pool-supervisor", daemon=True
        )
        self._supervisor.start()

    def did_start_ok(self) -> bool:
        return all(process.child.is_alive() for process in self._running)

    def on_apply(
        self,
        target: Callable[..., Any],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        callback: Callable[[Any], None] | None = None,
        accept_callback: Callable[[int, float], None] | None = None,
        error_callback: Callable[[ExceptionInfo], None] | None = None,
        timeout_callback: Callable[[bool, float], None] | None = None,
        soft_timeout: float | None = None,
        timeout: float | None = None,
        **_: Any,
    ) -> _Job:
        job = _Job(
            next(self._numbers),
            target,
            tuple(args or ()),
            dict(kwargs or {}),
            callback,
            accept_callback,
            error_callback,
            timeout_callback,
            soft_timeout or self.options.get("soft_timeout"),
            timeout or self.options.get("timeout"),
        )
        with self._lock:
            self._waiting.append(job)
            self._hand_out()
        return job

    def on_close(self) -> None:
        with self._lock:
            self._accepting = False

    def on_stop(self) -> None:
        """A warm shutdown: every process finishes its tasks, then ends."""
        with self._lock:
            self._accepting = False
            self._stopping = True
            for process in self._running:
                self._retire(process)
            processes = list(self._running)
        for process in processes:
            process.child.join()
        self._join_supervisor()

    def on_terminate(self) -> None:
        """A cold shutdown: the processes end now, and their tasks are reported lost (so
        delivered again)."""
        with self._lock:
            self._accepting = False
            self._stopping = True
            processes = list(self._running)
            waiting = list(self._waiting)
            self._waiting.clear()
        for process in processes:
            _kill(process.pid, _SIGKILL)
        for job in waiting:
            _report_lost(job, "the worker stopped before the task started")
        for process in processes:
            process.child.join(5)
        self._join_supervisor()

    def terminate_job(self, pid: int, signal: int | None = None) -> None:
        """End the process `pid` (a task cancelled or revoked with `terminate`).

        Its threads cannot be stopped one by one, nor finish on a signal while the
        others run: the process is killed, whatever the signal asked for, and its other
        tasks are reported lost, so delivered again.
        """
        with self._lock:
            if any(process.pid == pid for process in self._running):
                _kill(pid, _SIGKILL)

    def _get_info(self) -> dict[str, Any]:
        info: dict[str, Any] = super()._get_info()
        with self._lock:
            info.update(
                {
                    "max-concurrency": self.limit,
                    "processes": [process.pid for process in self._running],
                    "threads-per-process": self.threads,
                    "max-tasks-per-child": self.max_tasks_per_child or "N/A",
                    "running": sum(len(process.jobs) for process in self._running),
                    "waiting": len(self._waiting),
                }
            )
        return info

    @property
    def num_processes(self) -> int:
        return self.processes

    # Handing tasks to processes (under the lock).

    def _hand_out(self) -> None:
        while self._waiting and self._accepting:
            free = [p for p in self._running if not p.retiring and len(p.jobs) < self.threads]
            if not free:
                return
            process = min(free, key=lambda p: len(p.jobs))
            job = self._waiting.popleft()
            job.process = process
            process.jobs[job.number] = job
            try:
                process.connection.send(
                    (job.number, job.target, job.args, job.kwargs, job.soft_timeout)
                )
            except OSError:  # the process has just ended: its end reports the task lost
                continue
            if self.max_tasks_per_child and (
                process.finished + len(process.jobs) >= self.max_tasks_per_child
            ):
                self._retire(process)

    def _retire(self, process: _Process) -> None:
        if process.retiring:
            return
        process.retiring = True
        with contextlib.suppress(OSError):  # it has ended already
            process.connection.send(_STOP)

    def _fork(self) -> _Process:
        ours, theirs = _FORK.Pipe()
        child = _FORK.Process(
            target=_serve,
            args=(theirs, self.threads, self.initargs),
            name="ThreadedPoolProcess",
        )
        child.start()
        theirs.close()
        return _Process(child, ours)

    # The supervisor: results, accepted tasks, ended processes, hard time limits.

    def _supervise(self) -> None:
        while True:
            with self._lock:
                if self._stopping and not self._running:
                    return
                watched: dict[Any, _Process] = {}
                for process in self._running:
                    watched[process.connection] = process
                    watched[process.child.sentinel] = process
                timeout = self._until_next_deadline()
            ready = wait(list(watched), timeout)
            for ready_one in ready:
                process = watched[ready_one]
                if ready_one is not process.connection or not self._read(process):
                    self._ended(process)
            self._enforce_deadlines()

    def _until_next_deadline(self) -> float:
        if not self._deadlines:
            return _TICK_SECONDS
        return max(0.0, min(_TICK_SECONDS, self._deadlines[0][0] - time.monotonic()))

    def _read(self, process: _Process) -> bool:
        """Handle what `process` has sent; False once its end of the pipe is closed."""
        while True:
            try:
                if not process.connection.poll():
                    return True
                message = process.connection.recv()
            except (EOFError, OSError):
                return False
            self._handle(process, message)

    def _handle(self, process: _Process, message: tuple[Any, ...]) -> None:
        kind, number, *rest = message
        with self._lock:
            job = process.jobs.get(number)
            if job is None:  # past its hard time limit, and reported so
                return
            if kind == "accepted" and job.timeout:
                # The hard limit counts from the task's start, as prefork's does: not
                # from its hand-out to a process that may still be starting.
                job.hard_deadline = time.monotonic() + job.timeout
                heapq.heappush(self._deadlines, (job.hard_deadline, job.number, job))
            if kind in ("done", "failed"):
                del process.jobs[number]
                process.finished += 1
                job.hard_deadline = None
                self._hand_out()
        if kind == "accepted":
            _call(job.accept_callback, *rest)
        elif kind == "soft":
            _call(job.timeout_callback, True, *rest)
        elif kind == "done":
            _call(job.callback, *rest)
        else:
            _report_lost(job, *rest)

    def _ended(self, process: _Process) -> None:
        """A process ended: its tasks are lost, and unless the pool is stopping, a fresh
        process takes its place."""
        if process not in self._running:
            return
        # What it sent before it ended is read first: a task it finished is not lost.
        self._read(process)
        process.child.join(5)
        with self._lock:
            self._running.remove(process)
            lost = list(process.jobs.values())
            process.jobs.clear()
            if not self._stopping:
                self._running.append(self._fork())
            self._hand_out()
        process.connection.close()
        code = process.child.exitcode
        if lost:
            shown = (process.pid, code, len(lost))
            log.error("Pool process %d ended (exit code %s) with %d tasks running", *shown)
        for job in lost:
            _report_lost(job, f"Worker exited prematurely: exitcode {code}.")

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        expired: list[_Job] = []
        with self._lock:
            while self._deadlines and self._deadlines[0][0] <= now:
                _, _, job = heapq.heappop(self._deadlines)
                process = job.process
                # Reported past its limit, the task is no longer the process's.
                if (
                    job.hard_deadline is not None
                    and process is not None
                    and process.jobs.pop(job.number, None) is not None
                ):
                    expired.append(job)
        for job in expired:
            assert job.process is not None
            log.error(
                "Hard time limit (%ss) exceeded: ending pool process %d",
                job.timeout,
                job.process.pid,
            )
            _call(job.timeout_callback, False, job.timeout)
            _kill(job.process.pid, _SIGKILL)

    def _join_supervisor(self) -> None:
        if self._supervisor is not None and self._supervisor is not threading.current_thread():
            self._supervisor.join(10)


_SIGKILL = signal.SIGKILL


def _kill(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has ended already
        os.kill(pid, signum)


def _call(callback: Callable[..., None] | None, *args: Any) -> None:
    if callback is None:
        return
    try:
        callback(*args)
    except Exception:  # a callback's failure must not end the supervisor
        log.exception("Pool callback %r failed", callback)


def _report_lost(job: _Job, why: str) -> None:
    """The task's end, as Celery's worker knows it from a process that died under it: with
    late acknowledgement, its message goes back to the queue."""
    error = WorkerLostError(why) if job.terminated is None else Terminated(-job.terminated)
    try:
        raise error
    except (WorkerLostError, Terminated):
        _call(job.error_callback, ExceptionInfo())


# In each pool process.


def _serve(connection: Connection, threads: int, initargs: tuple[Any, ...]) -> None:
    """Run each task sent in a thread of its own, up to `threads` at once, until told to
    stop (or the worker's end closes the pipe); then finish the running ones."""
    process_initializer(*initargs)
    sending = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with sending:
            connection.send(message)

    with ThreadPoolExecutor(threads, thread_name_prefix="task") as running:
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                break
            if message is _STOP:
                break
            running.submit(_run, send, *message)


def _run(
    send: Callable[[tuple[Any, ...]], None],
    number: int,
    target: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    soft_timeout: float | None,
) -> None:
    send(("accepted", number, os.getpid(), time.monotonic()))
    limit = _SoftLimit(number, soft_timeout, send) if soft_timeout else None
    result: Any = _NOTHING
    try:
        try:
            with task_time.running_for(soft_timeout):
                result = target(*args, **kwargs)
        finally:
            if limit is not None:
                limit.end()
    except SoftTimeLimitExceeded:  # due as the task returned: its result stands
        if result is _NOTHING:
            send(("failed", number, "SoftTimeLimitExceeded()"))
            return
    except BaseException as exc:  # what the task's tracer did not catch
        send(("failed", number, repr(exc)))
        return
    send(("done", number, result))


_NOTHING = object()


class _SoftLimit:
    """`SoftTimeLimitExceeded`, raised in the task's thread once `seconds` have passed
    (should the task still be running then), and reported to the worker."""

    def __init__(
        self, number: int, seconds: float, send: Callable[[tuple[Any, ...]], None]
    ) -> None:
        self._thread = threading.get_ident()
        self._number = number
        self._seconds = seconds
        self._send = send
        self._lock = threading.Lock()
        self._over = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            if self._over:
                return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self._thread), ctypes.py_object(SoftTimeLimitExceeded)
            )
        self._send(("soft", self._number, self._seconds))

    def end(self) -> None:
        """The task has returned: the limit no longer applies."""
        with self._lock:
            self._over = True
        self._timer.cancel()
