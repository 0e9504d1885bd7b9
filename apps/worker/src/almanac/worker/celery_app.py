"""The Celery app: broker, serialization, routing and the beat schedule."""

from __future__ import annotations

import sys
from pathlib import Path

from celery import Celery
from celery.schedules import crontab

from almanac.core import tasks
from almanac.core.errors import ConfigError
from almanac.core.settings import Settings, get_settings


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None


def create_app(settings: Settings) -> Celery:
    Path(settings.beat_schedule_file).parent.mkdir(parents=True, exist_ok=True)
    app = Celery("almanac", broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_extended=True,
        result_expires=7 * 24 * 3600,
        timezone=settings.timezone,
        enable_utc=True,
        task_default_queue=tasks.QUEUE_DEFAULT,
        task_routes=tasks.TASK_ROUTES,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_track_started=True,
        task_send_sent_event=True,
        worker_send_task_events=True,
        worker_prefetch_multiplier=1,
        worker_max_tasks_per_child=settings.worker_max_tasks_per_child,
        worker_hijack_root_logger=True,
        worker_log_format=(
            "%(asctime)s %(levelname)s [%(processName)s] task=%(task_id)s %(name)s: %(message)s"
        ),
        worker_task_log_format=(
            "%(asctime)s %(levelname)s [%(processName)s] task=%(task_id)s "
            "%(task_name)s: %(message)s"
        ),
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "scrape-all-daily": {
                "task": tasks.SCRAPE_ALL,
                "schedule": crontab(hour=settings.daily_run_hour, minute=settings.daily_run_minute),
                "kwargs": {"trigger": "schedule"},
            },
        },
        beat_schedule_filename=settings.beat_schedule_file,
        include=[
            "almanac.worker.tasks",
            "almanac.worker.log_context",
            "almanac.worker.dead_letters",
            "almanac.worker.run_history",
            "almanac.worker.warm_start",
        ],
    )
    return app


app = create_app(_settings())
