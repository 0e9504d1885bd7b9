"""What the API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from almanac.core.domain import SLUG_PATTERN, SourceKind
from almanac.core.sources import SourceSpec


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
    config: dict[str, Any]
    enabled: bool
    schedule: str | None
    timezone: str | None
    default_categories: list[str]
    next_run_at: datetime | None
    """When the source's schedule (or else the daily run) sends its next scrape."""
    last_run_at: datetime | None
    last_status: str | None
    last_error: str | None
    health_reason: str | None
    consecutive_failures: int
    last_event_count: int | None
    health: SourceHealthOut


class SourceChanges(BaseModel):
    """The fields of a source to change; those left out keep their value (slug cannot change)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    kind: SourceKind | None = None
    url: str | None = None
    config: dict[str, Any] | None = None
    schedule: str | None = None
    """Null goes back to the daily run."""
    timezone: str | None = None
    enabled: bool | None = None
    default_categories: list[str] | None = None


class SourceDisabled(SourceOut):
    events_purged: int
    """How many of its events were deleted (`?purge=true`); 0 otherwise."""


class SourcePreviewIn(SourceSpec):
    """A source as `POST /sources` takes it; slug and name may be left out."""

    slug: str = Field(default="preview", pattern=SLUG_PATTERN)
    name: str = Field(default="preview", min_length=1)


class PreviewOccurrenceOut(BaseModel):
    starts_at: datetime
    ends_at: datetime | None
    all_day: bool
    timezone: str
    status: str
    title: str | None


class PreviewEventOut(BaseModel):
    external_id: str
    title: str
    description: str | None
    url: str | None
    image_url: str | None
    location: str | None
    categories: list[str]
    price: str | None
    status: str
    occurrences: list[PreviewOccurrenceOut]


class ProblemOut(BaseModel):
    reason: str
    item: str | None
    """The URL or item the problem is about, when there is one."""


class SourcePreviewOut(BaseModel):
    """What a scrape of the proposed source would find; nothing was saved."""

    event_count: int
    events: list[PreviewEventOut]
    """The events it would create (the first 500)."""
    problems: list[ProblemOut]
    """Why events were skipped, or why the source yields nothing."""
    requests: int
    bytes: int


class VenueOut(BaseModel):
    slug: str
    name: str
    address: str | None
    url: str | None
    event_count: int
    """Events at the venue, removed ones left out."""


class VenueDetailOut(VenueOut):
    aliases: list[str]
    """Other spellings of the venue's name that sources use."""


class VenueMergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    venue: str = Field(min_length=1, max_length=100)
    """The slug of the venue to merge into this one; it is deleted."""


class CategoryOut(BaseModel):
    name: str
    event_count: int
    """Events in the category, removed ones left out."""


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
