"""Two beats started by mistake, two maintenance workers claiming at once: each due
source is still sent exactly once. Real processes from the Procfile, real broker,
real database; no worker consumes the scrape queue, so every message sent stays
there to be counted."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, text

from almanac.worker import app
from tests.support.broker_queues import emptied_queues, queued_scrapes
from tests.support.processes import BIN, Process, procfile, wait_until

SOURCES = [f"hall-{n:02}" for n in range(12)]
DISPATCH_LINE = re.compile(r"dispatch_due: (\d+) due, (\d+) sent, (\d+) already running")


def _start(name: str, line: str, log_dir: Path, env: dict[str, str]) -> Process:
    path = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return Process(name, ["bash", "-c", f"exec {line}"], log_dir, env | {"PATH": path})


def _dispatch_runs(process: Process) -> list[tuple[int, int, int]]:
    return [
        (int(due), int(sent), int(running))
        for due, sent, running in DISPATCH_LINE.findall(process.output())
    ]


@pytest.fixture
def broker(redis_url: str) -> Iterator[redis.Redis]:
    with emptied_queues(redis_url) as client:
        yield client


@pytest.fixture
def processes(
    database_url: str, broker: redis.Redis, committed_db: None, tmp_path: Path
) -> Iterator[dict[str, Process]]:
    env = dict(os.environ) | {"ALMANAC_DISPATCH_INTERVAL_SECONDS": "1"}
    started: dict[str, Process] = {}
    maintenance = procfile()["maintenance"]
    assert "--hostname maintenance@%h" in maintenance
    try:
        for name in ("maintenance-a", "maintenance-b"):
            line = maintenance.replace("maintenance@%h", f"{name}@%h")
            started[name] = _start(name, line, tmp_path, env)
        for name in ("beat-a", "beat-b"):
            schedule_file = str(tmp_path / name / "celerybeat-schedule")
            beat_env = env | {"ALMANAC_BEAT_SCHEDULE_FILE": schedule_file}
            started[name] = _start(name, procfile()["beat"], tmp_path, beat_env)
        yield started
    finally:
        for name in ("beat-a", "beat-b", "maintenance-a", "maintenance-b"):
            if name in started:
                started[name].stop()


def test_two_beats_send_each_due_source_once(
    processes: dict[str, Process], engine: Engine, broker: redis.Redis
) -> None:
    workers = [processes["maintenance-a"], processes["maintenance-b"]]

    def both_claiming() -> bool:
        for process in processes.values():
            assert process.popen.poll() is None, process.output()
        return all(_dispatch_runs(worker) for worker in workers)

    wait_until(both_claiming, 60, "both maintenance workers to run almanac.dispatch_due")
    for beat in ("beat-a", "beat-b"):
        assert "Sending due task dispatch-due" in processes[beat].output()

    with engine.begin() as connection:
        for n, slug in enumerate(SOURCES):
            # Due over the next two seconds, while both beats keep asking; next due in a year.
            connection.execute(
                text(
                    "INSERT INTO sources (slug, name, kind, url, schedule, next_run_at) "
                    "VALUES (:slug, :name, 'ical', 'https://hall.example/a.ics', '0 0 1 1 *', "
                    "now() + make_interval(secs => :offset))"
                ),
                {"slug": slug, "name": slug, "offset": n / 6},
            )

    wait_until(lambda: len(queued_scrapes(broker)) >= len(SOURCES), 30, "the scrapes sent")
    runs_before = sum(len(_dispatch_runs(worker)) for worker in workers)
    wait_until(
        lambda: sum(len(_dispatch_runs(worker)) for worker in workers) >= runs_before + 4,
        30,
        "more rounds of almanac.dispatch_due",
    )

    assert Counter(queued_scrapes(broker)) == Counter(SOURCES)
    runs = [run for worker in workers for run in _dispatch_runs(worker)]
    assert sum(due for due, _, _ in runs) == len(SOURCES)
    assert sum(sent for _, sent, _ in runs) == len(SOURCES)
    assert sum(running for _, _, running in runs) == 0
    with engine.connect() as connection:
        still_due = connection.execute(
            text("SELECT count(*) FROM sources WHERE next_run_at <= now()")
        ).scalar_one()
    assert still_due == 0
    assert app.conf.task_routes["almanac.dispatch_due"] == {"queue": "maintenance"}
