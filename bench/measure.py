"""Timing one call, repeating it, and counting the SQL statements it sends."""

from __future__ import annotations

import gc
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.domain import Trigger
from almanac.core.settings import Settings
from almanac.pipeline.scrape import scrape_source

T = TypeVar("T")


class Counts(Protocol):
    @property
    def found(self) -> int: ...
    @property
    def created(self) -> int: ...
    @property
    def updated(self) -> int: ...


class Summary(Protocol):
    """What the bench reads of the summary `scrape_source` returns."""

    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str | None: ...
    @property
    def bytes(self) -> int: ...
    @property
    def counts(self) -> Counts: ...


@dataclass(slots=True)
class Timings:
    seconds: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(slots=True)
class Pairs:
    """Runs each measured right after its baseline: the machine's speed drifts from
    one second to the next, and a pair shares the moment it ran in."""

    baselines: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def add(self, baseline: float, value: float) -> None:
        self.baselines.append(baseline)
        self.values.append(value)

    def median(self) -> tuple[float, float]:
        """The pair whose ratio is the median of the pairs' ratios: (value, baseline)."""
        ratios = sorted(range(len(self.values)), key=lambda i: self.values[i] / self.baselines[i])
        middle = ratios[len(ratios) // 2]
        return self.values[middle], self.baselines[middle]

    @property
    def note(self) -> str:
        return f"the median of {len(self.values)} pairs, each run right after its baseline"


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """Wall time of one call, after a garbage collection so earlier runs do not leak in."""
    gc.collect()
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def repeated(call: Callable[[], T], runs: int, budget: float) -> tuple[Timings, list[T]]:
    """Up to `runs` calls, stopping early once they have taken `budget` seconds."""
    timings, results = Timings(), list[T]()
    while len(results) < runs and sum(timings.seconds) < budget:
        seconds, result = timed(call)
        timings.seconds.append(seconds)
        results.append(result)
    return timings, results


class StatementCounter:
    """Counts the statements the engine's connections send, those sent through
    psycopg directly (COPY, binary queries) included; an executemany counts once."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self._active = False
        self._lock = threading.Lock()
        counter = self

        class CountingCursor(psycopg.Cursor[Any]):
            def execute(self, *args: Any, **kwargs: Any) -> Any:
                counter.seen()
                return super().execute(*args, **kwargs)

            def executemany(self, *args: Any, **kwargs: Any) -> None:
                counter.seen()
                super().executemany(*args, **kwargs)

            def copy(self, *args: Any, **kwargs: Any) -> Any:
                counter.seen()
                return super().copy(*args, **kwargs)

        def use_counting_cursor(dbapi_connection: Any, _: Any) -> None:
            driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)
            driver.cursor_factory = CountingCursor

        engine.dispose()
        event.listen(engine, "connect", use_counting_cursor)

    def seen(self) -> None:
        if self._active:
            with self._lock:
                self.count += 1

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        self.count = 0
        self._active = True
        try:
            yield self
        finally:
            self._active = False


@dataclass(frozen=True, slots=True)
class Ingest:
    """`scrape_source` as a worker runs it: its own HTTP client, one source, one `now`."""

    sessions: sessionmaker[Session]
    settings: Settings

    def __call__(self, slug: str, now: datetime) -> Summary:
        return scrape_source(self.sessions, self.settings, slug, trigger=Trigger.CLI, now=now)


def peak_rss_mb(pid: int | str = "self") -> float:
    """The process's peak resident set size (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")
