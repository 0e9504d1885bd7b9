"""Figures for monitoring, each one aggregate query over the kept history.

Counts cover every task run and scrape run still stored, so they only grow
until old rows are deleted; latency quantiles are computed in PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almanac.db.models import ScrapeRun, Source, TaskRun

QUANTILES = (0.5, 0.9, 0.99)
NO_SOURCE = ""
"""The `source` of a task that names none (`almanac.scrape_all`, say)."""


@dataclass(frozen=True, slots=True)
class TaskCount:
    task_name: str
    source: str
    state: str
    count: int


@dataclass(frozen=True, slots=True)
class TaskLatency:
    task_name: str
    source: str
    count: int
    total_seconds: float
    quantiles: dict[float, float]


@dataclass(frozen=True, slots=True)
class ScrapeFigures:
    source: str
    status: str
    runs: int
    created: int
    updated: int
    removed: int
    cancelled: int


@dataclass(frozen=True, slots=True)
class SourceState:
    source: str
    consecutive_failures: int
    last_run_at: datetime | None
    suspect: bool
    enabled: bool


def task_counts(session: Session) -> list[TaskCount]:
    slug = func.coalesce(Source.slug, NO_SOURCE)
    query = (
        select(TaskRun.task_name, slug, TaskRun.state, func.count())
        .outerjoin(Source, Source.id == TaskRun.source_id)
        .group_by(TaskRun.task_name, slug, TaskRun.state)
    )
    return [TaskCount(*row) for row in session.execute(query)]


def task_latencies(session: Session) -> list[TaskLatency]:
    """Runtime of finished tasks, by task and source."""
    slug = func.coalesce(Source.slug, NO_SOURCE)
    runtime = TaskRun.runtime_seconds
    quantiles = [func.percentile_cont(q).within_group(runtime) for q in QUANTILES]
    query = (
        select(TaskRun.task_name, slug, func.count(runtime), func.sum(runtime), *quantiles)
        .outerjoin(Source, Source.id == TaskRun.source_id)
        .where(runtime.is_not(None), TaskRun.finished_at.is_not(None))
        .group_by(TaskRun.task_name, slug)
    )
    return [
        TaskLatency(
            task_name=name,
            source=source,
            count=count,
            total_seconds=float(total or 0.0),
            quantiles={q: float(v) for q, v in zip(QUANTILES, values, strict=True)},
        )
        for name, source, count, total, *values in session.execute(query)
    ]


def scrape_figures(session: Session) -> list[ScrapeFigures]:
    query = (
        select(
            Source.slug,
            ScrapeRun.status,
            func.count(),
            func.coalesce(func.sum(ScrapeRun.events_created), 0),
            func.coalesce(func.sum(ScrapeRun.events_updated), 0),
            func.coalesce(func.sum(ScrapeRun.events_removed), 0),
            func.coalesce(func.sum(ScrapeRun.events_cancelled), 0),
        )
        .join(Source, Source.id == ScrapeRun.source_id)
        .group_by(Source.slug, ScrapeRun.status)
    )
    return [ScrapeFigures(*(row[:2]), *(int(v) for v in row[2:])) for row in session.execute(query)]


def source_states(session: Session) -> list[SourceState]:
    query = select(
        Source.slug,
        Source.consecutive_failures,
        Source.last_run_at,
        Source.health_reason.is_not(None),
        Source.enabled,
    ).order_by(Source.slug)
    return [
        SourceState(slug, failures, last_run, bool(suspect), enabled)
        for slug, failures, last_run, suspect, enabled in session.execute(query)
    ]
