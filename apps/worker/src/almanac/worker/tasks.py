"""Thin tasks: each turns its arguments into one pipeline call."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

from celery import Task
from celery.utils.log import get_task_logger

from almanac.core import tasks as names
from almanac.core.domain import Trigger
from almanac.core.settings import get_settings
from almanac.pipeline.scrape import scrape_source as run_scrape
from almanac.pipeline.sessions import sessions
from almanac.pipeline.sources import enabled_sources
from almanac.worker.celery_app import app

log = get_task_logger(__name__)


@app.task(name=names.SCRAPE_SOURCE, bind=True)
def scrape_source(self: Task, source: str | int, trigger: str = "schedule") -> dict[str, Any]:
    """Fetch, parse and store one source, by slug or id."""
    summary = run_scrape(
        sessions(),
        get_settings(),
        source,
        trigger=Trigger(trigger),
        task_id=self.request.id,
    )
    return summary.as_dict()


@app.task(name=names.SCRAPE_ALL, bind=True)
def scrape_all(self: Task, trigger: str = "schedule") -> dict[str, Any]:
    """Send one `almanac.scrape_source` per enabled source."""
    slugs = enabled_sources(sessions())
    sent = {
        slug: app.send_task(names.SCRAPE_SOURCE, kwargs={"source": slug, "trigger": trigger}).id
        for slug in slugs
    }
    log.info("scrape_all sent %d scrapes: %s", len(sent), ", ".join(sent) or "no sources")
    return {"sent": sent}


@app.task(name=names.HEALTH_CHECK)
def health_check() -> dict[str, str]:
    """Answer from a worker: proves a worker is consuming and can run tasks."""
    return {
        "status": "ok",
        "worker": socket.gethostname(),
        "time": datetime.now(UTC).isoformat(),
    }
