"""Run records: a `scrape_runs` row for every run, and the source's health."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.domain import RunStatus, Trigger
from almanac.db.event_writes import WriteCounts
from almanac.db.models import ScrapeRun, Source


@dataclass(slots=True)
class RunSummary:
    """What a run did; also the result of the `almanac.scrape_source` task."""

    run_id: int
    source: str
    status: RunStatus
    requests: int = 0
    bytes: int = 0
    counts: WriteCounts = field(default_factory=WriteCounts)
    message: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    duration_seconds: float = 0.0
    transient: bool = False
    fetch_trace: dict[str, Any] = field(default_factory=dict)
    venues_made: list[str] = field(default_factory=list)
    """Slugs of the venues the run made for places no venue knew."""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        return data


INTERRUPTED = "interrupted: the process running it was lost; the task was delivered again"


def start_run(session: Session, source: Source, trigger: Trigger, task_id: str | None) -> int:
    """A new run of `source`. An earlier run of the same task still `running` was
    cut short (its worker process died and the task came back): it is closed as
    failed, so the history shows what happened."""
    if task_id is not None:
        _close_running(session, task_id, INTERRUPTED)
    run = ScrapeRun(source_id=source.id, trigger=str(trigger), task_id=task_id)
    session.add(run)
    session.flush()
    return run.id


def close_lost_run(sessions: sessionmaker[Session], task_id: str, reason: str) -> bool:
    """Close the task's run still `running` as failed, saying why (its database
    connection was lost): the history shows the reason, not only that the task came
    back. False if the database cannot be reached either; the task's next attempt
    then closes it as interrupted."""
    try:
        with sessions() as session:
            _close_running(session, task_id, reason)
            session.commit()
    except DBAPIError:
        return False
    return True


def _close_running(session: Session, task_id: str, message: str) -> None:
    session.execute(
        update(ScrapeRun)
        .where(ScrapeRun.task_id == task_id, ScrapeRun.status == str(RunStatus.RUNNING))
        .values(status=str(RunStatus.FAILED), message=message, finished_at=func.now())
    )


def finish_run(session: Session, source: Source, summary: RunSummary) -> None:
    """Write the run's outcome and update the source's health, in the caller's transaction."""
    now = datetime.now(UTC)
    run = session.get_one(ScrapeRun, summary.run_id)
    run.finished_at = now
    run.status = str(summary.status)
    run.requests = summary.requests
    run.bytes = summary.bytes
    run.events_found = summary.counts.found
    run.events_created = summary.counts.created
    run.events_updated = summary.counts.updated
    run.events_unchanged = summary.counts.unchanged
    run.events_removed = summary.counts.removed
    run.events_cancelled = summary.counts.cancelled
    run.duration_seconds = summary.duration_seconds
    run.message = summary.message
    run.errors = summary.errors
    run.fetch_trace = summary.fetch_trace

    source.last_run_at = now
    source.last_status = str(summary.status)
    if summary.status is RunStatus.FAILED:
        source.consecutive_failures += 1
        source.last_error = summary.message
        return
    source.consecutive_failures = 0
    source.last_error = None
    if summary.status is not RunStatus.NOT_MODIFIED:
        source.last_event_count = summary.counts.found
    if summary.status is RunStatus.SUSPECT:
        source.health_reason = summary.message
    if summary.status is RunStatus.OK:
        source.last_good_event_count = summary.counts.found
        source.health_reason = None
