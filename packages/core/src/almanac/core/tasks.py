"""Task and queue names: a stable API shared by the worker, the API and beat."""

from __future__ import annotations

SCRAPE_SOURCE = "almanac.scrape_source"
SCRAPE_ALL = "almanac.scrape_all"
HEALTH_CHECK = "almanac.health_check"

QUEUE_SCRAPE = "scrape"
QUEUE_DEFAULT = "default"

TASK_ROUTES: dict[str, dict[str, str]] = {
    SCRAPE_SOURCE: {"queue": QUEUE_SCRAPE},
    SCRAPE_ALL: {"queue": QUEUE_DEFAULT},
    HEALTH_CHECK: {"queue": QUEUE_DEFAULT},
}
