"""What the bench site server answered, request by request, with when it started and ended.

Times are on the `time.time()` clock, a request's start as the kernel stamped its
arrival: they are compared with each other.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ServedRequest:
    host: str
    """The Host header as sent: `127.0.0.K:PORT`."""
    target: str
    status: int
    started: float
    """When the whole request head had arrived."""
    ended: float
    """When the whole answer was handed to the connection, at once."""


def write_served(path: Path, served: list[ServedRequest]) -> None:
    path.write_text("".join(json.dumps(asdict(request)) + "\n" for request in served))


def read_served(path: Path) -> list[ServedRequest]:
    return [ServedRequest(**json.loads(line)) for line in path.read_text().splitlines() if line]
