"""What the API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from almanac.api.event_schemas import VenueOut
from almanac.core.domain import SLUG_PATTERN, SourceKind
from almanac.core.sources import SourceSpec


class SourceHealthOut(BaseModel):
    """How the source's scrapes are going, and what comes next."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "last_outcome": "failed",
                    "last_run_at": "2026-11-21T06:00:12Z",
                    "consecutive_failures": 1,
                    "last_event_count": 42,
                    "last_good_event_count": 42,
                    "suspect": False,
                    "reason": "FetchError: 503 from riverside-arts.example",
                    "next_run_at": "2026-11-22T06:00:00Z",
                    "running_task_id": "6f1c2b0e-3d4a-4f7e-9a51-0c8d2e7b9f10",
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "riverside-arts",
                    "name": "Riverside Arts",
                    "kind": "ical",
                    "url": "https://riverside-arts.example/events.ics",
                    "config": {},
                    "enabled": True,
                    "schedule": "0 */6 * * *",
                    "timezone": "America/New_York",
                    "default_categories": ["arts"],
                    "next_run_at": "2026-11-22T06:00:00Z",
                    "last_run_at": "2026-11-21T06:00:12Z",
                    "last_status": "failed",
                    "last_error": "FetchError: 503 from riverside-arts.example",
                    "health_reason": "FetchError: 503 from riverside-arts.example",
                    "consecutive_failures": 1,
                    "last_event_count": 42,
                    "health": {
                        "last_outcome": "failed",
                        "last_run_at": "2026-11-21T06:00:12Z",
                        "consecutive_failures": 1,
                        "last_event_count": 42,
                        "last_good_event_count": 42,
                        "suspect": False,
                        "reason": "FetchError: 503 from riverside-arts.example",
                        "next_run_at": "2026-11-22T06:00:00Z",
                        "running_task_id": "6f1c2b0e-3d4a-4f7e-9a51-0c8d2e7b9f10",
                    },
                }
            ]
        }
    )

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

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"schedule": "0 */6 * * *", "enabled": True}]},
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "riverside-arts",
                    "name": "Riverside Arts",
                    "kind": "ical",
                    "url": "https://riverside-arts.example/events.ics",
                    "config": {},
                    "enabled": False,
                    "schedule": "0 */6 * * *",
                    "timezone": "America/New_York",
                    "default_categories": ["arts"],
                    "next_run_at": "2026-11-22T06:00:00Z",
                    "last_run_at": "2026-11-21T06:00:12Z",
                    "last_status": "failed",
                    "last_error": "FetchError: 503 from riverside-arts.example",
                    "health_reason": "FetchError: 503 from riverside-arts.example",
                    "consecutive_failures": 1,
                    "last_event_count": 42,
                    "health": {
                        "last_outcome": "failed",
                        "last_run_at": "2026-11-21T06:00:12Z",
                        "consecutive_failures": 1,
                        "last_event_count": 42,
                        "last_good_event_count": 42,
                        "suspect": False,
                        "reason": "FetchError: 503 from riverside-arts.example",
                        "next_run_at": "2026-11-22T06:00:00Z",
                        "running_task_id": "6f1c2b0e-3d4a-4f7e-9a51-0c8d2e7b9f10",
                    },
                    "events_purged": 0,
                }
            ]
        }
    )

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_count": 1,
                    "events": [
                        {
                            "external_id": "concert-1@riverside-arts.example",
                            "title": "Winter Concert",
                            "description": "<p>Strings and brass.</p>",
                            "url": "https://riverside-arts.example/concert",
                            "image_url": "https://riverside-arts.example/concert.jpg",
                            "location": "The Hall, 1 Main St",
                            "categories": ["music"],
                            "price": "$10",
                            "status": "scheduled",
                            "occurrences": [
                                {
                                    "starts_at": "2026-12-05T19:00:00-05:00",
                                    "ends_at": "2026-12-05T21:00:00-05:00",
                                    "all_day": False,
                                    "timezone": "America/New_York",
                                    "status": "scheduled",
                                    "title": "Winter Concert (matinee)",
                                }
                            ],
                        }
                    ],
                    "problems": [],
                    "requests": 1,
                    "bytes": 2048,
                }
            ]
        }
    )

    event_count: int
    events: list[PreviewEventOut]
    """The events it would create (the first 500)."""
    problems: list[ProblemOut]
    """Why events were skipped, or why the source yields nothing."""
    requests: int
    bytes: int


class CountedVenueOut(VenueOut):
    """A venue in the list of venues: where it is, and how many events it has."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "the-hall",
                    "name": "The Hall",
                    "address": "1 Main St",
                    "url": "https://thehall.example",
                    "event_count": 12,
                }
            ]
        }
    )

    event_count: int
    """Events at the venue, removed ones left out."""


class VenueDetailOut(CountedVenueOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "the-hall",
                    "name": "The Hall",
                    "address": "1 Main St",
                    "url": "https://thehall.example",
                    "event_count": 12,
                    "aliases": ["The Hall (Main St)"],
                }
            ]
        }
    )

    aliases: list[str]
    """Other spellings of the venue's name that sources use."""


class VenueMergeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"venue": "the-hall-main-st"}]}
    )

    venue: str = Field(min_length=1, max_length=100)
    """The slug of the venue to merge into this one; it is deleted."""


class CategoryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "music", "event_count": 31}]}
    )

    name: str
    event_count: int
    """Events in the category, removed ones left out."""


class TaskAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "task_id": "6f1c2b0e-3d4a-4f7e-9a51-0c8d2e7b9f10",
                    "status_url": "http://127.0.0.1:8000/tasks/6f1c2b0e-3d4a-4f7e-9a51-0c8d2e7b9f10",
                    "already_running": False,
                }
            ]
        }
    )

    task_id: str
    status_url: str
    already_running: bool = False
    """The source was already queued or being scraped: `task_id` is that task."""


class DeadLetterOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "task_id": "6f1c2b0e-3d4a-4f7e-9a51-0c8d2e7b9f10",
                    "task_name": "almanac.scrape_source",
                    "args": [],
                    "kwargs": {"source": "riverside-arts", "trigger": "schedule"},
                    "error": "FetchError: 503 from riverside-arts.example",
                    "traceback": (
                        "Traceback (most recent call last):\n"
                        "  …\n"
                        "FetchError: 503 from riverside-arts.example"
                    ),
                    "retries": 2,
                    "failed_at": "2026-11-21T06:01:40Z",
                    "replayed_at": "2026-11-21T09:30:00Z",
                    "replay_task_id": "b2e41c7d-8f3a-4c6e-a1d2-5e9f0b3c7a48",
                }
            ]
        }
    )

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


TASK_RUN_EXAMPLE: dict[str, Any] = {
    "task_id": "6f1c2b0e-3d4a-4f7e-9a51-0c8d2e7b9f10",
    "task_name": "almanac.scrape_source",
    "state": "success",
    "queue": "scrape",
    "worker": "celery@worker-1",
    "retries": 0,
    "source": "riverside-arts",
    "trigger": "schedule",
    "args": [],
    "kwargs": {"source": "riverside-arts", "trigger": "schedule"},
    "received_at": "2026-11-21T06:00:00Z",
    "started_at": "2026-11-21T06:00:01Z",
    "finished_at": "2026-11-21T06:00:12Z",
    "runtime_seconds": 11.2,
    "error": "FetchError: 503 from riverside-arts.example",
    "created_at": "2026-11-21T06:00:00Z",
    "updated_at": "2026-11-21T06:00:12Z",
}
"""The run-history example, which a source's runs extend with their scrape."""


class TaskRunOut(BaseModel):
    """One Celery task as the run history tells it; a retry keeps its row."""

    model_config = ConfigDict(json_schema_extra={"examples": [TASK_RUN_EXAMPLE]})

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "started_at": "2026-11-21T06:00:01Z",
                    "finished_at": "2026-11-21T06:00:12Z",
                    "events_found": 42,
                    "events_created": 2,
                    "events_updated": 1,
                    "events_unchanged": 39,
                    "events_removed": 0,
                    "events_cancelled": 0,
                    "message": "42 events read",
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **TASK_RUN_EXAMPLE,
                    "scrape": {
                        "status": "ok",
                        "started_at": "2026-11-21T06:00:01Z",
                        "finished_at": "2026-11-21T06:00:12Z",
                        "events_found": 42,
                        "events_created": 2,
                        "events_updated": 1,
                        "events_unchanged": 39,
                        "events_removed": 0,
                        "events_cancelled": 0,
                        "message": "42 events read",
                    },
                }
            ]
        }
    )

    scrape: ScrapeOutcomeOut | None
    """Null when the task recorded no scrape run (it failed before, or skipped)."""


class TaskOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c2b0e-3d4a-4f7e-9a51-0c8d2e7b9f10",
                    "name": "almanac.scrape_source",
                    "state": "SUCCESS",
                    "result": {"status": "ok", "events_found": 42},
                    "error": "FetchError: 503 from riverside-arts.example",
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "checks": {
                        "database": {
                            "ok": True,
                            "detail": "PostgreSQL answers",
                            "last_seen_at": "2026-11-21T17:59:56Z",
                        },
                        "redis": {
                            "ok": True,
                            "detail": "Redis answers",
                            "last_seen_at": "2026-11-21T17:59:56Z",
                        },
                        "workers": {
                            "ok": True,
                            "detail": "1 worker(s): celery@worker-1",
                            "last_seen_at": "2026-11-21T17:59:56Z",
                        },
                        "beat": {
                            "ok": True,
                            "detail": "beat ticked 4 s ago",
                            "last_seen_at": "2026-11-21T18:00:00Z",
                        },
                    },
                }
            ]
        }
    )

    status: str
    checks: dict[str, CheckOut]


class HealthOut(BaseModel):
    """The API process answers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str
