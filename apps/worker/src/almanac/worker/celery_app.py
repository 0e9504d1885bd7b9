"""The Celery app: broker, serialization, routing and the beat schedule."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from celery import Celery, current_task
from celery.schedules import crontab

from almanac.core import log_context, tasks
from almanac.core.errors import ConfigError
from almanac.core.settings import Settings, get_settings
from almanac.worker import redis_broker

POOL = "almanac.worker.threaded_processes:ThreadedProcessPool"
"""A few processes, each running several tasks at once in threads (see there)."""


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """The daily run (sources without a schedule), the per-source schedules, pruning."""
    return {
        "scrape-all-daily": {
            "task": tasks.SCRAPE_ALL,
            "schedule": crontab(hour=settings.daily_run_hour, minute=settings.daily_run_minute),
            "kwargs": {"trigger": "schedule"},
        },
        "dispatch-due": {
            "task": tasks.DISPATCH_DUE,
            "schedule": settings.dispatch_interval_seconds,
            # One left waiting past the next is worth nothing: the next claims the same sources.
            "options": {"expires": settings.dispatch_interval_seconds},
        },
        "prune-nightly": {
            "task": tasks.PRUNE,
            "schedule": crontab(hour=3, minute=30),
        },
    }


def _task_fields() -> tuple[str | None, str | None]:
    """The running task's id and name, for every log line (worker, beat, Flower)."""
    task = current_task
    if not task:  # outside a task, or in a thread one started
        return log_context.task.get() or (None, None)
    return getattr(task.request, "id", None), getattr(task, "name", None)


def create_app(settings: Settings) -> Celery:
    log_context.install_record_fields(_task_fields)
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
        # A worker's pool unless its command line names another (`--pool solo`).
        worker_pool=POOL,
        worker_prefetch_multiplier=1,
        worker_max_tasks_per_child=settings.worker_max_tasks_per_child,
        worker_soft_shutdown_timeout=settings.worker_shutdown_grace_seconds,
        worker_hijack_root_logger=True,
        worker_log_format=log_context.TEXT_FORMAT,
        worker_task_log_format=log_context.TEXT_FORMAT,
        broker_connection_retry_on_startup=True,
        broker_transport=redis_broker.TRANSPORT,
        # A task taken by a worker that vanished goes back to the queue once its
        # visibility timeout has passed; every worker looks for such tasks every
        # 10 s (kombu's default would scan only every tenth time, ~100 s).
        broker_transport_options=tasks.BROKER_PRIORITY_OPTIONS
        | {
            "visibility_timeout": settings.broker_visibility_timeout_seconds,
            "unacked_restore_throttle": 1,
        },
        beat_schedule=beat_schedule(settings),
        beat_schedule_filename=settings.beat_schedule_file,
        beat_scheduler="almanac.worker.beat_heartbeat:HeartbeatScheduler",
        include=[
            "almanac.worker.tasks",
            "almanac.worker.log_context",
            "almanac.worker.dead_letters",
            "almanac.worker.run_history",
            "almanac.worker.warm_start",
            "almanac.worker.cpu_priority",
        ],
    )
    return app


app = create_app(_settings())
