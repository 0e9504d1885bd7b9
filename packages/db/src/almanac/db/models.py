"""SQLAlchemy models of Almanac's data model.

The migrations in `migrations/versions` create exactly these tables; a test
checks that autogenerate finds no difference.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SOURCE_KINDS = ("ical", "jsonld", "tribe", "css", "ical_links", "vanwezel", "mote")
EVENT_STATUSES = ("scheduled", "cancelled", "postponed", "removed")
RUN_STATUSES = ("running", "ok", "not_modified", "partial", "suspect", "failed")
SEARCH_CONFIG = "english"
"""The text search configuration of the events' search index, and of searches."""
TRIGGERS = ("schedule", "api", "cli")
TASK_STATES = ("received", "started", "retry", "success", "failure", "revoked", "rejected")
"""Celery's state names, lower-cased, for a task as its run history tells it."""


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _id() -> Mapped[int]:
    return mapped_column(BigInteger, Identity(), primary_key=True)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Source(Base):
    __tablename__ = "sources"
    __table_args__ = (CheckConstraint(_one_of("kind", SOURCE_KINDS), name="kind"),)

    id: Mapped[int] = _id()
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb"), default=dict
    )
    schedule: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"), default=True)
    default_categories: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default=text("'{}'::text[]"), default=list
    )
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    last_event_count: Mapped[int | None] = mapped_column(Integer)
    last_good_event_count: Mapped[int | None] = mapped_column(Integer)
    health_reason: Mapped[str | None] = mapped_column(Text)
    """Why the last suspect run was held back; cleared by the next ok run."""
    parsed_window_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    parsed_window_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """The span the stored occurrences were last expanded over."""
    scrape_task_id: Mapped[str | None] = mapped_column(String(64))
    """The scrape task queued or running for this source, while its lease lasts."""
    scrape_lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Feed(Base):
    """A URL a source discovered (one `.ics` per month, say), fetched on its own."""

    __tablename__ = "feeds"
    __table_args__ = (UniqueConstraint("source_id", "url"),)

    id: Mapped[int] = _id()
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    last_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class Venue(Base):
    __tablename__ = "venues"

    id: Mapped[int] = _id()
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class VenueAlias(Base):
    """Another spelling of a venue's name; `alias` is stored normalized."""

    __tablename__ = "venue_aliases"

    id: Mapped[int] = _id()
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(Text, unique=True)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index(
            "ix_events_search",
            func.to_tsvector(
                literal_column(f"'{SEARCH_CONFIG}'::regconfig"),
                text("(title || ' ') || coalesce(description, '')"),
            ),
            postgresql_using="gin",
            # 16 MB: the words of a large feed's new events wait in the index's
            # pending list, which searches read too, until autovacuum merges them.
            postgresql_with={"gin_pending_list_limit": 16384},
        ),
        UniqueConstraint("source_id", "external_id"),
        CheckConstraint(_one_of("status", EVENT_STATUSES), name="status"),
        Index("ix_events_source_id_status", "source_id", "status"),
    )

    id: Mapped[int] = _id()
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    feed_id: Mapped[int | None] = mapped_column(
        ForeignKey("feeds.id", ondelete="SET NULL"), index=True
    )
    external_id: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    venue_id: Mapped[int | None] = mapped_column(
        ForeignKey("venues.id", ondelete="SET NULL"), index=True
    )
    location_text: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default=text("'{}'::text[]"), default=list
    )
    price: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), server_default=text("'scheduled'"))
    sequence: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    content_hash: Mapped[str] = mapped_column(String(64))
    schedule_hash: Mapped[str] = mapped_column(String(64))
    input_hash: Mapped[str | None] = mapped_column(String(32))
    """A cheaper digest of the event as last found (`hashing.input_hash`): equal, and
    nothing else needs comparing. Null until a run computes it."""
    first_seen_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Occurrence(Base):
    """One dated instance of an event; all-day instances start at local midnight."""

    __tablename__ = "occurrences"
    __table_args__ = (
        UniqueConstraint("event_id", "recurrence_key"),
        CheckConstraint(_one_of("status", EVENT_STATUSES), name="status"),
        # A list's page in order, stopping at its last row (`event_queries.list_query`),
        # from the index alone: it carries what the page's tests read. Feeds and
        # unpaged lists read their windows' occurrences from it too.
        Index(
            "ix_occurrences_starts_at_id",
            "starts_at",
            "id",
            postgresql_include=["ends_at", "status", "event_id"],
        ),
        # What runs at a moment (started before it, ends after it), of the occurrences
        # longer than a day: see `event_queries.long_running_at`.
        Index(
            "ix_occurrences_running",
            text("tstzrange(starts_at, ends_at, '()')"),
            postgresql_using="gist",
            postgresql_where=text("ends_at - starts_at > interval '1 day'"),
        ),
    )

    id: Mapped[int] = _id()
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    recurrence_key: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    """The instance's own title, when the feed gives it one; else the event's applies."""
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    all_day: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    timezone: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), server_default=text("'scheduled'"))
    previous_starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OccurrenceMove(Base):
    """An occurrence that moved: where it started before, and where after."""

    __tablename__ = "occurrence_moves"

    id: Mapped[int] = _id()
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("occurrences.id", ondelete="CASCADE"), index=True
    )
    previous_starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    """When a run found it moved."""


class ScrapeRun(Base):
    __tablename__ = "scrape_runs"
    __table_args__ = (
        CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
        CheckConstraint(_one_of("trigger", TRIGGERS), name="trigger"),
        Index("ix_scrape_runs_source_id_started_at", "source_id", "started_at"),
    )

    id: Mapped[int] = _id()
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(64), index=True)
    trigger: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'running'"))
    requests: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, server_default=text("0"), default=0)
    events_found: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    events_created: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    events_updated: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    events_unchanged: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    events_removed: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    events_cancelled: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    """Occurrences found cancelled, those of cancelled events included."""
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str | None] = mapped_column(Text)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb"), default=list
    )
    fetch_trace: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb"), default=dict
    )
    """Statuses met, time waited for politeness, retries: how the fetching went."""


class DeadLetter(Base):
    """A task that failed after its last retry, kept so it can be replayed."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = _id()
    task_id: Mapped[str] = mapped_column(String(64), index=True)
    task_name: Mapped[str] = mapped_column(Text)
    args: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    error: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    retries: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    failed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    replayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replay_task_id: Mapped[str | None] = mapped_column(String(64))


class TaskRun(Base):
    """One Celery task, whatever it is: received, started, retried, finished.

    Celery retries a task under the same id, so a retry updates this row and
    counts in `retries`. `runtime_seconds` adds up the time every attempt took
    in the worker; `started_at` is the first attempt's start.
    """

    __tablename__ = "task_runs"
    __table_args__ = (
        CheckConstraint(_one_of("state", TASK_STATES), name="state"),
        Index("ix_task_runs_source_id_created_at", "source_id", "created_at"),
        Index("ix_task_runs_task_name_created_at", "task_name", "created_at"),
        Index("ix_task_runs_state_created_at", "state", "created_at"),
        Index("ix_task_runs_queue_created_at", "queue", "created_at"),
    )

    id: Mapped[int] = _id()
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    task_name: Mapped[str] = mapped_column(Text)
    queue: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    retries: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    trigger: Mapped[str | None] = mapped_column(String(20))
    args: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    runtime_seconds: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
