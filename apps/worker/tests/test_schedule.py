"""Beat's schedule: every enabled source daily at 06:00 in the city's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from almanac.worker import app


def test_daily_run_is_at_six_in_the_configured_zone() -> None:
    entry = app.conf.beat_schedule["scrape-all-daily"]
    assert entry["task"] == "almanac.scrape_all"
    schedule = entry["schedule"]
    schedule.app = app  # binds the schedule to the app's time zone, as beat does
    new_york = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 20, 9, 30, tzinfo=new_york)
    schedule.nowfun = lambda: now
    last_run = datetime(2026, 11, 20, 6, 0, tzinfo=new_york)
    next_run = now + schedule.remaining_estimate(last_run)
    assert next_run.astimezone(new_york) == datetime(2026, 11, 21, 6, 0, tzinfo=new_york)


def test_tasks_are_sent_as_json_and_acknowledged_late() -> None:
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late
    assert app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
