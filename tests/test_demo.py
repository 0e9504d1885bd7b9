"""`make demo`: the runner it calls brings every demo source's events to the API within a
minute, prints a calendar feed that answers, and Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.processes import ROOT, Process, bin_path, free_port, wait_until

pytestmark = pytest.mark.e2e

WITHIN_SECONDS = 60
SLUGS = {s["slug"] for s in yaml.safe_load((ROOT / "demo/sources.yaml").read_text())["sources"]}


def _sources_with_events(api: str) -> set[str]:
    try:
        answer = httpx.get(f"{api}/events", params={"limit": 500}, timeout=5)
    except httpx.HTTPError:
        return set()
    if answer.status_code != 200:
        return set()
    return {item["event"]["source"] for item in answer.json()["items"]}


def _descendants(pid: int) -> set[int]:
    """Every live process under `pid`, however deep (sessions of their own included)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class DemoRun:
    runner: Process
    api: str
    started: float


@pytest.fixture
def demo_run(
    database_url: str, redis_url: str, committed_db: None, tmp_path: Path
) -> Iterator[DemoRun]:
    """The runner `make demo` calls, on the test session's database and Redis db."""
    api_port = free_port()
    env = dict(os.environ) | {
        "ALMANAC_API_PORT": str(api_port),
        "ALMANAC_FLOWER_PORT": str(free_port()),
        "DEMO_PORT": str(free_port()),
        "ALMANAC_BEAT_SCHEDULE_FILE": str(tmp_path / "beat-schedule"),
    }
    started = time.monotonic()
    runner = Process("demo", [bin_path("python"), "-m", "demo"], tmp_path, env)
    yield DemoRun(runner, f"http://127.0.0.1:{api_port}", started)
    runner.stop()


def test_make_demo_shows_every_source_within_a_minute_and_stops_on_ctrl_c(
    demo_run: DemoRun,
) -> None:
    demo, api, started = demo_run.runner, demo_run.api, demo_run.started

    def every_source_has_events() -> bool:
        assert demo.popen.poll() is None, demo.output()
        return _sources_with_events(api) >= SLUGS

    wait_until(every_source_has_events, WITHIN_SECONDS, "events from every demo source")
    elapsed = time.monotonic() - started
    found = _sources_with_events(api)
    for slug in sorted(SLUGS):
        assert slug in found, f"no events from {slug} after {elapsed:.0f}s"
    assert elapsed < WITHIN_SECONDS
    print(f"events from every demo source {elapsed:.1f}s after the start")

    wait_until(lambda: "Calendar feed:" in demo.output(), 30, "the demo to say where to look")
    output = demo.output()
    assert f"{api}/docs" in output
    feed = re.search(r"Calendar feed:\s+(\S+\.ics)", output)
    assert feed is not None, output
    answer = httpx.get(feed.group(1), timeout=10)
    assert answer.status_code == 200
    assert answer.text.startswith("BEGIN:VCALENDAR")

    started_processes = _descendants(demo.pid)
    assert len(started_processes) >= 5
    os.kill(demo.pid, signal.SIGINT)
    assert demo.popen.wait(30) == 0, demo.output()
    wait_until(
        lambda: not any(_alive(pid) for pid in started_processes),
        15,
        "every process the demo started to stop",
    )
