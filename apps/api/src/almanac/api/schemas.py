"""What the API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class SourceHealthOut(BaseModel):
    """How the source's scrapes are going, and what comes next."""

    last_outcome: str | None
    """The last scrape's status: ok, not_modified, partial, suspect or failed."""
    last_run_at: datetime | None
    consecutive_failures: int
    last_event_count: int | None
    last_good_event_count: int | None
    suspect: bool
    """A run was held back as suspect and no ok run has come since."""
    reason: str | None
    """Why the source is unwell: its last error, or why its run was held back."""
    next_run_at: datetime | None
    running_task_id: str | None
    """The scrape task queued or running for the source now, if any."""


class SourceOut(BaseModel):
    slug: str
    name: str
    kind: str
    url: str
    enabled: bool
    schedule: str | None
    timezone: str | None
    next_run_at: datetime | None
    """When the source's schedule (or else the daily run) sends its next scrape."""
    last_run_at: datetime | None
    last_status: str | None
    last_error: str | None
    health_reason: str | None
    consecutive_failures: int
    last_event_count: int | None
    health: SourceHealthOut


class TaskAccepted(BaseModel):
    task_id: str
    status_url: str
    already_running: bool = False
    """The source was already queued or being scraped: `task_id` is that task."""


class DeadLetterOut(BaseModel):
    id: int
    task_id: str
    task_name: str
    args: list[Any]
    keyword_args: dict[str, Any] = Field(serialization_alias="kwargs")
    error: str
    traceback: str | None
    retries: int
    failed_at: datetime
    replayed_at: datetime | None
    replay_task_id: str | None


class TaskRunOut(BaseModel):
    """One Celery task as the run history tells it; a retry keeps its row."""

    task_id: str
    task_name: str
    state: str
    """received, started, retry, success, failure, revoked or rejected."""
    queue: str | None
    worker: str | None
    retries: int
    source: str | None
    trigger: str | None
    args: list[Any]
    keyword_args: dict[str, Any] = Field(serialization_alias="kwargs")
    received_at: datetime | None
    started_at: datetime | None
    """When its first attempt started."""
    finished_at: datetime | None
    runtime_seconds: float | None
    """Time spent in the worker, every attempt added up."""
    error: str | None
    created_at: datetime
    updated_at: datetime


class ScrapeOutcomeOut(BaseModel):
    """What the task's (last) scrape run recorded."""

    status: str
    started_at: datetime
    finished_at: datetime | None
    events_found: int
    events_created: int
    events_updated: int
    events_unchanged: int
    events_removed: int
    events_cancelled: int
    message: str | None


class SourceRunOut(TaskRunOut):
    scrape: ScrapeOutcomeOut | None
    """Null when the task recorded no scrape run (it failed before, or skipped)."""


class TaskOut(BaseModel):
    id: str
    name: str | None
    state: str
    result: Any = None
    error: str | None = None


class CheckOut(BaseModel):
    ok: bool
    detail: str
    last_seen_at: str | None = None
    """For beat: when it last ticked (UTC)."""


class ReadinessOut(BaseModel):
    status: str
    checks: dict[str, CheckOut]
