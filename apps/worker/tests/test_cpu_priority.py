"""A worker runs nicer than the API, so that scrapes leave the CPU to readers first.

Each case runs in a child process, whose priority it may lower for good.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def _niceness_after(start: int, asked: int) -> int:
    code = (
        "import os; from almanac.worker.cpu_priority import lower_priority; "
        f"os.setpriority(os.PRIO_PROCESS, 0, {start}); print(lower_priority({asked}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return int(done.stdout.strip())


@pytest.mark.parametrize(("start", "asked", "expected"), [(0, 10, 10), (15, 10, 15), (0, 0, 0)])
def test_a_worker_is_made_at_least_as_nice_as_asked(start: int, asked: int, expected: int) -> None:
    assert _niceness_after(start, asked) == expected
