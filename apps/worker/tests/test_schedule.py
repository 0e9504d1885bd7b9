"""Beat's schedule: the daily run at 06:00 city time, due sources every minute, pruning
nightly; and where each task goes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from almanac.core import tasks
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


def test_due_sources_are_looked_for_every_minute_on_the_maintenance_queue() -> None:
    entry = app.conf.beat_schedule["dispatch-due"]
    assert entry["task"] == "almanac.dispatch_due"
    assert entry["schedule"] == 60.0
    assert entry["options"]["expires"] == 60.0  # one left waiting is replaced by the next
    assert app.conf.task_routes["almanac.dispatch_due"] == {"queue": "maintenance"}


def test_prune_runs_nightly_at_half_past_three_city_time() -> None:
    entry = app.conf.beat_schedule["prune-nightly"]
    assert entry["task"] == "almanac.prune"
    schedule = entry["schedule"]
    schedule.app = app
    new_york = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 20, 9, 30, tzinfo=new_york)
    schedule.nowfun = lambda: now
    last_run = datetime(2026, 11, 20, 3, 30, tzinfo=new_york)
    next_run = now + schedule.remaining_estimate(last_run)
    assert next_run.astimezone(new_york) == datetime(2026, 11, 21, 3, 30, tzinfo=new_york)
    assert app.conf.task_routes["almanac.prune"] == {"queue": "maintenance"}


def test_every_task_is_routed_by_name() -> None:
    app.loader.import_default_modules()  # what a worker does: registers the tasks
    registered = {name for name in app.tasks if name.startswith("almanac.")}
    assert registered == set(app.conf.task_routes)
    assert app.conf.task_routes["almanac.scrape_source"] == {"queue": "scrape"}
    assert app.conf.task_routes["almanac.scrape_all"] == {"queue": "maintenance"}
    assert app.conf.task_routes["almanac.health_check"] == {"queue": "default"}


def test_scrapes_someone_asked_for_go_first_on_redis() -> None:
    # On Redis the lowest step is read first: API and CLI scrapes at 0, scheduled at 9.
    assert app.conf.broker_transport_options["priority_steps"] == [0, 9]
    assert tasks.scrape_priority("api") < tasks.scrape_priority("schedule")
    assert tasks.scrape_priority("cli") == tasks.PRIORITY_NOW == 0
