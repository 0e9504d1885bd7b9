"""How hard each host was pressed, as its own server saw it: the most requests it was
answering at once, and the shortest time between two of its requests' starts."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

from bench.served_requests import ServedRequest


@dataclass(frozen=True, slots=True)
class HostLoad:
    host: str
    requests: int
    most_at_once: int
    shortest_gap: float
    """Seconds between the two closest request starts (infinite for a single request)."""


def host_loads(served: list[ServedRequest]) -> dict[str, HostLoad]:
    by_host: dict[str, list[ServedRequest]] = defaultdict(list)
    for request in served:
        by_host[request.host].append(request)
    return {host: _load(host, requests) for host, requests in by_host.items()}


def _load(host: str, requests: list[ServedRequest]) -> HostLoad:
    starts = sorted(r.started for r in requests)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    return HostLoad(host, len(requests), most_at_once(requests), min(gaps, default=float("inf")))


def most_at_once(requests: list[ServedRequest]) -> int:
    """The most requests open together; one that ends as another starts is not counted with it."""
    edges = sorted([(r.started, 1) for r in requests] + [(r.ended, -1) for r in requests])
    open_now = most = 0
    for _, step in edges:
        open_now += step
        most = max(most, open_now)
    return most
