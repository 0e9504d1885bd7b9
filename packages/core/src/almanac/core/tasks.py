"""Task and queue names: a stable API shared by the worker, the API and beat.

Three queues: `scrape` holds the scrapes (fetch, parse and store, one task
per source) and the previews (fetch and parse a proposed source, store
nothing), `maintenance` what beat sends to keep the rest going (the daily
run, the per-source schedules, pruning), `default` the rest (health checks).

Scrapes someone asked for (API, CLI) are sent with `PRIORITY_NOW` and go
ahead of the scheduled ones (`PRIORITY_SCHEDULED`) waiting in the same queue.
On Redis, kombu keeps one list per step of `BROKER_PRIORITY_STEPS` and a
worker reads them lowest number first: 0 is served first, the reverse of
RabbitMQ. A message without a priority counts as 0, so every scrape is sent
with one (`scrape_priority`).
"""

from __future__ import annotations

from typing import Any

from almanac.core.domain import Trigger

SCRAPE_SOURCE = "almanac.scrape_source"
PREVIEW_SOURCE = "almanac.preview_source"
SCRAPE_ALL = "almanac.scrape_all"
DISPATCH_DUE = "almanac.dispatch_due"
PRUNE = "almanac.prune"
HEALTH_CHECK = "almanac.health_check"

QUEUE_SCRAPE = "scrape"
QUEUE_MAINTENANCE = "maintenance"
QUEUE_DEFAULT = "default"

TASK_ROUTES: dict[str, dict[str, str]] = {
    SCRAPE_SOURCE: {"queue": QUEUE_SCRAPE},
    PREVIEW_SOURCE: {"queue": QUEUE_SCRAPE},
    SCRAPE_ALL: {"queue": QUEUE_MAINTENANCE},
    DISPATCH_DUE: {"queue": QUEUE_MAINTENANCE},
    PRUNE: {"queue": QUEUE_MAINTENANCE},
    HEALTH_CHECK: {"queue": QUEUE_DEFAULT},
}

PRIORITY_NOW = 0
PRIORITY_SCHEDULED = 9
BROKER_PRIORITY_STEPS = [PRIORITY_NOW, PRIORITY_SCHEDULED]
"""Two lists per queue on Redis; a priority between two steps counts as the lower step."""

BROKER_PRIORITY_OPTIONS: dict[str, Any] = {"priority_steps": BROKER_PRIORITY_STEPS}
"""Broker transport options every sender and every worker must share: a sender
picks the Redis list of a message's priority with them."""


def scrape_priority(trigger: str) -> int:
    """A scrape on a schedule waits behind the ones someone asked for."""
    return PRIORITY_SCHEDULED if trigger == Trigger.SCHEDULE else PRIORITY_NOW
