"""Readers of the API at a steady pace: a few clients, each sending a read every so
often whether or not the API kept up, as a city's calendar apps and pages do all day.

A read's time counts from when it was due, not from when it was sent: a reader held
up by a slow answer sends its next read late, and that lateness is the API's too (a
reader that only timed what it sent would leave out the reads a stall held back)."""

from __future__ import annotations

import gc
import itertools
import math
import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event
from typing import Any

import httpx

WARM_UP_ROUNDS = 3
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


@dataclass(slots=True)
class ReadTimes:
    seconds: list[float] = field(default_factory=list)
    """Each answered read, from when it was due to the whole body, by `time.perf_counter`."""
    paths: list[str] = field(default_factory=list)
    """The path of each answered read, in the same order."""
    failures: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.seconds)

    def percentile_ms(self, share: float, path: str | None = None) -> float:
        """The nearest-rank percentile: `share` of the reads (of `path`, if given) took at
        most this long."""
        ordered = sorted(
            s for s, p in zip(self.seconds, self.paths, strict=True) if path in (None, p)
        )
        if not ordered:
            return math.nan
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)] * 1000


class ReadLoad:
    """`clients` processes reading `paths` in turn from `base_url`, each `per_second`
    times a second, until stopped.

    Each reader is a process of its own, as each of a city's apps is a client of its
    own: as threads of the test's process, a reader whose answer had come waited for
    the interpreter while the test polled its tasks, and that wait was counted as the
    API's.
    """

    def __init__(self, base_url: str, paths: list[str], clients: int, per_second: float) -> None:
        self._base_url = base_url
        self._paths = paths
        self._clients = clients
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._results: multiprocessing.Queue[tuple[str, Any]] = context.Queue()
        self._readers = [
            context.Process(
                target=_read,
                args=(base_url, paths, n / clients, 1 / per_second, self._stop, self._results),
                name=f"reader-{n}",
                daemon=True,
            )
            for n in range(clients)
        ]

    def warm_up(self, rounds: int = WARM_UP_ROUNDS) -> None:
        """Reads not counted: each path read by every client at once, a few times over.

        The API's first answers to a path pay for its imports, and its first answers
        to several readers at once for the database connections it opens for them.
        """
        with ThreadPoolExecutor(self._clients) as pool:
            for _ in range(rounds):
                for path in self._paths:
                    reads = [
                        pool.submit(httpx.get, self._base_url + path, timeout=30)
                        for _ in range(self._clients)
                    ]
                    for read in reads:
                        read.result().raise_for_status()

    def start(self) -> ReadLoad:
        """Start the readers; each has begun reading when this returns."""
        for reader in self._readers:
            reader.start()
        for _ in self._readers:
            kind, detail = self._results.get(timeout=START_TIMEOUT)
            if kind != "reading":
                self.stop()
                raise RuntimeError(f"a reader did not start: {detail}")
        return self

    def stop(self) -> ReadTimes:
        """Stop the readers, each by its PID, and gather what they measured."""
        self._stop.set()
        times = ReadTimes()
        try:
            for _ in [r for r in self._readers if r.pid is not None]:
                kind, measured = self._results.get(timeout=STOP_TIMEOUT)
                if kind == "read":
                    seconds, paths, failures = measured
                    times.seconds += seconds
                    times.paths += paths
                    times.failures += failures
        finally:
            for reader in self._readers:
                if reader.pid is None:
                    continue
                reader.join(STOP_TIMEOUT)
                if reader.is_alive():
                    reader.kill()
                    reader.join(STOP_TIMEOUT)
        return times


def _read(
    base_url: str,
    paths: list[str],
    offset: float,
    period: float,
    stop: Event,
    results: multiprocessing.Queue[tuple[str, Any]],
) -> None:
    """One reader, in a process of its own: a read due every `period` seconds, the first
    `offset` of a period after it starts; what it measured goes to `results`."""
    times = ReadTimes()
    turns = itertools.cycle(paths)
    for _ in range(round(offset * len(paths))):
        next(turns)
    with httpx.Client(base_url=base_url, timeout=10) as client:
        # A full collection of the reader's own objects would stop it for a while, and
        # be counted as the API's time.
        gc.collect()
        gc.freeze()
        results.put(("reading", None))
        due = time.perf_counter() + offset * period
        for path in turns:
            if stop.wait(max(0.0, due - time.perf_counter())):
                break
            try:
                response = client.get(path)
                seconds = time.perf_counter() - due
                failure = None if response.status_code == 200 else f"{path}: {response.status_code}"
            except httpx.HTTPError as exc:
                seconds, failure = time.perf_counter() - due, f"{path}: {exc!r}"
            due += period
            if failure is None:
                times.seconds.append(seconds)
                times.paths.append(path)
            else:
                times.failures.append(failure)
    results.put(("read", (times.seconds, times.paths, times.failures)))
