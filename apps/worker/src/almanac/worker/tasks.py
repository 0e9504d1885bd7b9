"""Thin tasks: each turns its arguments into one pipeline call.

`almanac.scrape_source` holds its source's lease while it runs, so that no
two scrapes of one source overlap; a run that failed for a reason that may
pass is retried with exponential backoff and jitter, and one that failed for
good raises `ScrapeFailed`, which leaves it in the dead letters.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

from celery import Task
from celery.exceptions import Retry
from celery.utils.log import get_task_logger
from sqlalchemy.exc import DBAPIError

from almanac.core import log_context
from almanac.core import tasks as names
from almanac.core.domain import RunStatus, Trigger
from almanac.core.errors import ScrapeFailed
from almanac.core.settings import get_settings
from almanac.pipeline.due_runs import dispatch_due as run_dispatch_due
from almanac.pipeline.due_runs import plan_next_daily_run
from almanac.pipeline.preview import preview_source as run_preview
from almanac.pipeline.retention import prune as run_prune
from almanac.pipeline.retries import backoff_seconds
from almanac.pipeline.runs import close_lost_run
from almanac.pipeline.scrape import scrape_source as run_scrape
from almanac.pipeline.sessions import sessions, unavailable_reason
from almanac.pipeline.sources import daily_sources, enabled_sources, source_slug
from almanac.pipeline.task_records import (
    HARD_LIMIT_MARGIN_SECONDS,
    claim_lease,
    release_lease,
    send_scrape,
)
from almanac.worker.celery_app import app

log = get_task_logger(__name__)
_settings = get_settings()
MAX_BACKOFF_SECONDS = 6 * 3600.0


@app.task(
    name=names.SCRAPE_SOURCE,
    bind=True,
    max_retries=_settings.task_max_retries,
    soft_time_limit=_settings.task_time_limit_seconds,
    time_limit=_settings.task_time_limit_seconds + HARD_LIMIT_MARGIN_SECONDS,
)
def scrape_source(self: Task, source: str | int, trigger: str = "schedule") -> dict[str, Any]:
    """Fetch, parse and store one source, by slug or id."""
    settings = get_settings()
    task_id = self.request.id
    try:
        slug = source_slug(sessions(), source)
    except DBAPIError as exc:
        raise _retry(self, unavailable_reason(exc)) from exc
    log_context.source.set(slug)
    holder = claim_lease(sessions(), settings, slug, task_id)
    if holder is not None:
        log.info("source=%s is being scraped by task %s: not scraped twice", slug, holder)
        return {"source": slug, "status": "skipped", "running_task_id": holder}
    try:
        summary = run_scrape(sessions(), settings, slug, trigger=Trigger(trigger), task_id=task_id)
    except DBAPIError as exc:
        reason = unavailable_reason(exc)
        close_lost_run(sessions(), task_id, reason)
        raise _ending(self, slug, reason) from exc
    if summary.status is RunStatus.FAILED and summary.transient:
        raise _ending(self, slug, f"{slug}: {summary.message}")
    release_lease(sessions(), slug, task_id)
    if summary.status is RunStatus.FAILED:
        raise ScrapeFailed(f"{slug}: {summary.message}")
    return summary.as_dict()


def _ending(task: Task, slug: str, reason: str) -> BaseException:
    """The retry to raise; past the last one, the failure, with the source's lease given back."""
    ending = _retry(task, reason)
    if not isinstance(ending, Retry):
        release_lease(sessions(), slug, task.request.id)
    return ending


def _retry(task: Task, reason: str) -> BaseException:
    """The retry to raise, after a backoff with jitter; past the last one, the failure."""
    retries = task.request.retries
    if retries >= (task.max_retries or 0):
        return ScrapeFailed(f"{reason} (after {retries} retries)")
    settings = get_settings()
    countdown = backoff_seconds(retries + 1, settings.task_retry_base_seconds, MAX_BACKOFF_SECONDS)
    log.warning("retry %d of %d in %.0fs: %s", retries + 1, task.max_retries, countdown, reason)
    retry: BaseException = task.retry(countdown=countdown, exc=ScrapeFailed(reason), throw=False)
    return retry


def send_scrape_task(slug: str, task_id: str, trigger: str) -> None:
    """Put one scrape on the broker, ahead of the scheduled ones if someone asked for it."""
    app.send_task(
        names.SCRAPE_SOURCE,
        kwargs={"source": slug, "trigger": trigger},
        task_id=task_id,
        priority=names.scrape_priority(trigger),
    )


@app.task(
    name=names.PREVIEW_SOURCE,
    soft_time_limit=_settings.task_time_limit_seconds,
    time_limit=_settings.task_time_limit_seconds + HARD_LIMIT_MARGIN_SECONDS,
)
def preview_source(
    kind: str, url: str, config: dict[str, Any], timezone: str | None = None
) -> dict[str, Any]:
    """Fetch and parse a proposed source without storing anything: its events and problems."""
    return run_preview(get_settings(), kind, url, config, timezone).as_dict()


@app.task(name=names.SCRAPE_ALL, bind=True)
def scrape_all(self: Task, trigger: str = "schedule") -> dict[str, Any]:
    """Send one `almanac.scrape_source` per enabled source not already queued or running.

    On the daily schedule, sources with a schedule of their own are left to
    it (`almanac.dispatch_due`), and the others' next run becomes tomorrow's.
    """
    settings = get_settings()
    scheduled = trigger == Trigger.SCHEDULE
    sent: dict[str, str] = {}
    running: dict[str, str] = {}
    for slug in daily_sources(sessions()) if scheduled else enabled_sources(sessions()):

        def send(task_id: str, slug: str = slug) -> None:
            send_scrape_task(slug, task_id, trigger)

        dispatch = send_scrape(sessions(), settings, slug, send)
        (running if dispatch.already_running else sent)[slug] = dispatch.task_id
    if scheduled:
        plan_next_daily_run(sessions(), settings)
    log.info(
        "scrape_all sent %d scrapes (%d already queued or running): %s",
        len(sent),
        len(running),
        ", ".join(sent) or "no sources",
    )
    return {"sent": sent, "already_running": running}


@app.task(name=names.DISPATCH_DUE)
def dispatch_due() -> dict[str, object]:
    """Send a scrape of each source whose own schedule says it is time (see `due_runs`)."""
    result = run_dispatch_due(
        sessions(),
        get_settings(),
        lambda slug, task_id: send_scrape_task(slug, task_id, Trigger.SCHEDULE),
    )
    log.info(
        "dispatch_due: %d due, %d sent, %d already running, %d not sent%s",
        len(result.due),
        len(result.sent),
        len(result.already_running),
        len(result.failed),
        "".join(f"; {slug}: {why}" for slug, why in result.failed.items()),
    )
    return result.as_dict()


@app.task(name=names.PRUNE)
def prune() -> dict[str, int]:
    """Delete scrape runs, task runs and dead letters older than their retention."""
    deleted = run_prune(sessions(), get_settings())
    log.info("prune deleted %s", ", ".join(f"{count} {table}" for table, count in deleted.items()))
    return deleted


@app.task(name=names.HEALTH_CHECK)
def health_check() -> dict[str, str]:
    """Answer from a worker: proves a worker is consuming and can run tasks."""
    return {
        "status": "ok",
        "worker": socket.gethostname(),
        "time": datetime.now(UTC).isoformat(),
    }
