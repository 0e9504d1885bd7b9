"""What the `almanac` command shows an operator: task runs and upcoming events,
read straight from the database (the command works without the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.errors import AlmanacError
from almanac.db.event_queries import OccurrenceFilters, list_occurrences
from almanac.db.models import Source
from almanac.db.task_run_queries import RunFilters, list_task_runs


class UnknownSource(AlmanacError):
    """A slug that names no source."""


@dataclass(frozen=True, slots=True)
class RunLine:
    task_id: str
    task_name: str
    source: str | None
    state: str
    queue: str | None
    worker: str | None
    retries: int
    started_at: datetime | None
    runtime_seconds: float | None
    error: str | None


@dataclass(frozen=True, slots=True)
class EventLine:
    event_id: int
    occurrence_id: int
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    title: str
    source: str
    venue: str | None
    status: str
    url: str | None


def _source_ids(session: Session, slugs: list[str]) -> list[int]:
    query = select(Source.slug, Source.id).where(Source.slug.in_(slugs))
    found = {slug: source_id for slug, source_id in session.execute(query).tuples()}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise UnknownSource(f"no source {', '.join(repr(s) for s in missing)}")
    return [found[slug] for slug in slugs]


def task_runs(
    sessions: sessionmaker[Session], source: str | None, failed: bool, limit: int
) -> list[RunLine]:
    """Task runs, newest first: of one source, or only the failed ones, if asked."""
    with sessions() as session:
        source_id = _source_ids(session, [source])[0] if source else None
        rows = list_task_runs(session, RunFilters(source_id=source_id, failed=failed, limit=limit))
        return [
            RunLine(
                task_id=run.task_id,
                task_name=run.task_name,
                source=slug,
                state=run.state,
                queue=run.queue,
                worker=run.worker,
                retries=run.retries,
                started_at=run.started_at,
                runtime_seconds=run.runtime_seconds,
                error=run.error,
            )
            for run, slug in rows
        ]


def upcoming_events(
    sessions: sessionmaker[Session],
    start: datetime,
    end: datetime,
    sources: list[str],
    query: str | None,
    limit: int,
) -> list[EventLine]:
    """Occurrences overlapping `start`–`end`, by start, as `GET /events` lists them."""
    with sessions() as session:
        filters = OccurrenceFilters(
            start=start, end=end, source_ids=_source_ids(session, sources), query=query
        )
        return [
            EventLine(
                event_id=row.event.id,
                occurrence_id=row.occurrence.id,
                starts_at=row.occurrence.starts_at,
                ends_at=row.occurrence.ends_at,
                all_day=row.occurrence.all_day,
                title=row.occurrence.title or row.event.title,
                source=row.source_slug,
                venue=row.venue.name if row.venue else row.event.location_text,
                status=row.status,
                url=row.event.url,
            )
            for row in list_occurrences(session, filters, limit=limit)
        ]
