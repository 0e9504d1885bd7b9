"""A closed-loop reader of the API: a few clients, each sending its next read as soon as
the last one is answered, as a city's calendar apps and pages do all day."""

from __future__ import annotations

import gc
import itertools
import math
import threading
import time
from dataclasses import dataclass, field

import httpx


@dataclass(slots=True)
class ReadTimes:
    seconds: list[float] = field(default_factory=list)
    """Each answered read, from sending to the whole body, by `time.perf_counter`."""
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
    """`clients` threads reading `paths` in turn from `base_url` until stopped."""

    def __init__(self, base_url: str, paths: list[str], clients: int) -> None:
        self.times = ReadTimes()
        self._base_url = base_url
        self._paths = paths
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._read, args=(n,), name=f"reader-{n}", daemon=True)
            for n in range(clients)
        ]

    def warm_up(self, path: str) -> None:
        """One read, not counted: the API's first answer to a path is not its usual one."""
        httpx.get(self._base_url + path, timeout=30).raise_for_status()

    def start(self) -> ReadLoad:
        # A full collection of the test process's own objects would stop its readers for
        # a while, and be counted as the API's time.
        gc.collect()
        gc.freeze()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> ReadTimes:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        gc.unfreeze()
        return self.times

    def _read(self, number: int) -> None:
        paths = itertools.islice(itertools.cycle(self._paths), number, None)
        with httpx.Client(base_url=self._base_url, timeout=10) as client:
            for path in paths:
                if self._stop.is_set():
                    return
                started = time.perf_counter()
                try:
                    response = client.get(path)
                    seconds = time.perf_counter() - started
                    failure = (
                        None if response.status_code == 200 else f"{path}: {response.status_code}"
                    )
                except httpx.HTTPError as exc:
                    seconds, failure = time.perf_counter() - started, f"{path}: {exc!r}"
                with self._lock:
                    if failure is None:
                        self.times.seconds.append(seconds)
                        self.times.paths.append(path)
                    else:
                        self.times.failures.append(failure)
