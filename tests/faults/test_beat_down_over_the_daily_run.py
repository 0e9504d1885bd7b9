"""Beat stopped over the daily run and started ten minutes after it: the missed run is
sent once when beat starts, not skipped, and not again when beat restarts.

How: beat keeps, in its schedule file (`ALMANAC_BEAT_SCHEDULE_FILE`), when it last
sent each entry. Started again, it finds that the daily run's crontab came due
since (today's run is later than the last one it sent), sends it at once, and
writes the new time; a later start finds it sent. The file must therefore live
on a disk that outlasts beat's restarts (a volume in compose). The daily run
sends one scrape per source without a schedule of its own; a source whose scrape
is still queued or running is not sent twice (its lease). A source with a
schedule of its own that came due meanwhile is sent by the next
`almanac.dispatch_due`: its `next_run_at`, in PostgreSQL, has passed.

Real beat and maintenance worker from the Procfile; no worker takes the scrape
queue, so every scrape sent stays there to be counted. The clock is not faked:
the daily run's time is set to ten minutes ago, and the schedule file says beat
last sent it the day before, as a beat stopped over the run leaves it.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from celery.beat import PersistentScheduler
from sqlalchemy import Engine, text

from almanac.core.settings import get_settings
from tests.support import fault_figures
from tests.support.broker_queues import emptied_queues, queued_scrapes
from tests.support.processes import Process, start_from_procfile, wait_until

pytestmark = pytest.mark.faults

DAILY = "scrape-all-daily"
SOURCES = ["town-hall", "river-stage", "folk-club"]
"""Sources without a schedule of their own: the daily run's."""
SCHEDULED = "jazz-cellar"
"""A source whose own schedule came due at the same time."""
SENT_DAILY = re.compile(rf"Sending due task {DAILY}\b")
SCRAPE_ALL_LINE = re.compile(r"scrape_all sent (\d+) scrapes")


@pytest.fixture
def broker(redis_url: str) -> Iterator[redis.Redis]:
    with emptied_queues(redis_url) as client:
        yield client


def _sources(engine: Engine, daily_run: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (slug, name, kind, url, schedule, next_run_at) "
                "VALUES (:slug, :name, 'ical', 'https://jazz.example/a.ics', :cron, :due)"
            ),
            {
                "slug": SCHEDULED,
                "name": SCHEDULED,
                "cron": f"{daily_run.minute} {daily_run.hour} * * *",
                "due": daily_run,
            },
        )
        for slug in SOURCES:
            connection.execute(
                text(
                    "INSERT INTO sources (slug, name, kind, url) "
                    "VALUES (:slug, :name, 'ical', 'https://hall.example/a.ics')"
                ),
                {"slug": slug, "name": slug},
            )


def _left_by_a_beat_stopped_over(schedule_file: Path, daily_run: datetime) -> None:
    """The schedule file as a beat that sent yesterday's daily run, then stopped, left it."""
    from almanac.worker import app

    scheduler = PersistentScheduler(app=app, schedule_filename=str(schedule_file))
    try:
        scheduler.schedule[DAILY].last_run_at = daily_run - timedelta(days=1)
        scheduler.sync()
    finally:
        scheduler.close()


def _beat_env(schedule_file: Path, daily_run: datetime) -> dict[str, str]:
    return dict(os.environ) | {
        "ALMANAC_BEAT_SCHEDULE_FILE": str(schedule_file),
        "ALMANAC_DAILY_RUN_HOUR": str(daily_run.hour),
        "ALMANAC_DAILY_RUN_MINUTE": str(daily_run.minute),
    }


def _ticked_twice(beat: Process) -> bool:
    assert beat.popen.poll() is None, beat.output()
    return beat.output().count("Sending due task dispatch-due") >= 2


def test_the_daily_run_missed_while_beat_was_down_is_sent_once_when_it_starts(
    engine: Engine, committed_db: None, broker: redis.Redis, tmp_path: Path
) -> None:
    zone = ZoneInfo(get_settings().timezone)
    daily_run = (datetime.now(zone) - timedelta(minutes=10)).replace(second=0, microsecond=0)
    schedule_file = tmp_path / "beat" / "celerybeat-schedule"
    schedule_file.parent.mkdir()
    _sources(engine, daily_run)
    _left_by_a_beat_stopped_over(schedule_file, daily_run)
    env = _beat_env(schedule_file, daily_run) | {"ALMANAC_DISPATCH_INTERVAL_SECONDS": "1"}
    fault_figures.count("faults_injected")

    worker = start_from_procfile("maintenance", tmp_path, env)
    processes = [worker]
    try:
        processes.append(start_from_procfile("beat", tmp_path / "first", env))
        wait_until(lambda: len(queued_scrapes(broker)) > len(SOURCES), 60, "the missed runs")
        wait_until(lambda: _ticked_twice(processes[-1]), 30, "beat to go on ticking")
        processes.pop().stop()
        # Started again, beat finds the run sent.
        processes.append(start_from_procfile("beat", tmp_path / "again", env))
        wait_until(lambda: _ticked_twice(processes[-1]), 30, "the restarted beat to tick")
        first, again = (tmp_path / "first" / "beat.log", tmp_path / "again" / "beat.log")
        assert len(SENT_DAILY.findall(first.read_text())) == 1
        assert SENT_DAILY.findall(again.read_text()) == []
        assert SCRAPE_ALL_LINE.findall(worker.output()) == [str(len(SOURCES))]
        assert Counter(queued_scrapes(broker)) == Counter([*SOURCES, SCHEDULED])
    finally:
        for process in processes:
            process.stop()

    with engine.connect() as connection:
        next_runs = connection.execute(text("SELECT DISTINCT next_run_at FROM sources")).scalars()
        # Every source runs next at tomorrow's time.
        assert [when.astimezone(zone) for when in next_runs] == [daily_run + timedelta(days=1)]
    fault_figures.count("faults_survived")
