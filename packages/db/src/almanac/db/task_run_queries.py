"""Run history: what the worker's Celery signals say about each task, and reading it back.

Each signal is one upsert keyed by the task's id, so a row comes out right
whatever order the signals arrive in: an event replaces the row's state only
if it is as late or later in the task's life, by (retries, step): each
attempt is received, started and finished, and a retry announces the next
attempt, which stays `retry` until it starts, as Celery tells it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert, psycopg
from sqlalchemy.orm import Session

from almanac.db.driver import driver_connection
from almanac.db.models import ScrapeRun, Source, TaskRun

FAILED_STATES = ("failure", "rejected")
"""What `failed=true` means: the task raised, or no worker could run it."""
FINISHED_STATES = ("success", "failure", "revoked", "rejected")

_STEP = {"received": 1, "retry": 2, "started": 3, "success": 4, "failure": 4}
_LAST_STEP = 5
"""Revoked and rejected: nothing comes after them."""


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """One thing a signal tells about a task, at `at`."""

    task_id: str
    task_name: str
    state: str
    at: datetime
    retries: int | None = 0
    """Retries so far; a retry event counts the retry it announces. None when the
    signal cannot tell (a failure the worker's main process reports)."""
    queue: str | None = None
    worker: str | None = None
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    runtime_seconds: float | None = None
    """How long the attempt that just ended took in the worker."""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RunFilters:
    source_id: int | None = None
    task_name: str | None = None
    state: str | None = None
    queue: str | None = None
    since: datetime | None = None
    failed: bool = False
    limit: int = 50


def _step(state: Any) -> ColumnElement[int]:
    steps = {_constant(name): _constant(step) for name, step in _STEP.items()}
    return case(steps, value=state, else_=_constant(_LAST_STEP))


_NO_ARGS: ColumnElement[Any] = literal_column("'[]'::jsonb")
_NO_KWARGS: ColumnElement[Any] = literal_column("'{}'::jsonb")


def _constant(value: str | int | float) -> ColumnElement[Any]:
    """A constant written into the statement's text, which then needs no parameter."""
    return literal_column(f"'{value}'" if isinstance(value, str) else repr(value))


def _source_ref(ref: object) -> tuple[int | None, str | None]:
    """A task's `source` argument as (id, slug): digits name an id, other text a slug."""
    if isinstance(ref, bool) or ref is None:
        return None, None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return int(ref), None
    if isinstance(ref, str):
        return None, ref
    return None, None


def record_task_event(session: Session, event: TaskEvent) -> None:
    """Fold `event` into its task's row (created on the first event seen); no commit."""
    trigger = event.kwargs.get("trigger")
    source_num, source_slug = _source_ref(event.kwargs.get("source"))
    params: dict[str, Any] = {
        "task_id": event.task_id,
        "task_name": event.task_name,
        "queue": event.queue,
        "worker": event.worker,
        "state": event.state,
        "retries_known": event.retries,
        "source_num": source_num,
        "source_slug": source_slug,
        "trigger": str(trigger)[:20] if trigger is not None else None,
        "args": Jsonb(event.args),
        "kwargs": Jsonb(event.kwargs),
        "received_at": event.at if event.state == "received" else None,
        "started_at": event.at if event.state == "started" else None,
        "finished_at": event.at if event.state in FINISHED_STATES else None,
        "runtime_seconds": event.runtime_seconds,
        "error": event.error,
    }
    driver_connection(session).execute(_UPSERT_SQL, params)


def _upsert_sql() -> str:
    """The one statement every event runs, compiled for psycopg once, as Almanac loads
    (so a worker's pool processes inherit it).

    Built and compiled per event, it cost more than the rest of a task's own
    bookkeeping; each new pool process compiled it again.
    """
    columns = TaskRun.__table__.c
    params = {
        name: bindparam(name, type_=columns[name].type)
        for name in (
            "task_id",
            "task_name",
            "queue",
            "worker",
            "state",
            "trigger",
            "args",
            "kwargs",
            "received_at",
            "started_at",
            "finished_at",
            "runtime_seconds",
            "error",
        )
    }
    known = bindparam("retries_known", type_=Integer)
    source_id = (
        select(Source.id)
        .where(
            or_(
                Source.id == bindparam("source_num", type_=Integer),
                Source.slug == bindparam("source_slug", type_=String),
            )
        )
        .limit(_constant(1))
        .scalar_subquery()
    )
    first_retries = func.coalesce(known, _constant(0))
    stmt = insert(TaskRun).values(**params, retries=first_retries, source_id=source_id)
    new = stmt.excluded
    retries = func.coalesce(known, TaskRun.retries)
    later = tuple_(retries, _step(new.state)) >= tuple_(TaskRun.retries, _step(TaskRun.state))
    stmt = stmt.on_conflict_do_update(
        index_elements=[TaskRun.task_id],
        set_={
            "task_name": new.task_name,
            "queue": func.coalesce(new.queue, TaskRun.queue),
            "worker": func.coalesce(new.worker, TaskRun.worker),
            "source_id": func.coalesce(TaskRun.source_id, new.source_id),
            "trigger": func.coalesce(TaskRun.trigger, new.trigger),
            "args": case((new.args == _NO_ARGS, TaskRun.args), else_=new.args),
            "kwargs": case((new.kwargs == _NO_KWARGS, TaskRun.kwargs), else_=new.kwargs),
            "received_at": func.coalesce(TaskRun.received_at, new.received_at),
            "started_at": func.coalesce(TaskRun.started_at, new.started_at),
            "runtime_seconds": case(
                (new.runtime_seconds.is_(None), TaskRun.runtime_seconds),
                else_=func.coalesce(TaskRun.runtime_seconds, _constant(0.0)) + new.runtime_seconds,
            ),
            "state": case((later, new.state), else_=TaskRun.state),
            "retries": func.greatest(TaskRun.retries, retries),
            "finished_at": case((later, new.finished_at), else_=TaskRun.finished_at),
            "error": case(
                (and_(later, new.error.is_not(None)), new.error),
                (and_(later, new.state == _constant("success")), None),
                else_=TaskRun.error,
            ),
            "updated_at": func.now(),
        },
    )
    compiled = stmt.compile(dialect=psycopg.dialect())  # type: ignore[no-untyped-call]
    constants = [name for name, value in compiled.params.items() if value is not None]
    if constants:
        raise AssertionError(f"the task event upsert has constants as parameters: {constants}")
    return str(compiled)


_UPSERT_SQL = _upsert_sql()


def _runs(filters: RunFilters) -> Select[TaskRun, str]:
    query = select(TaskRun, Source.slug).outerjoin(Source, Source.id == TaskRun.source_id)
    if filters.source_id is not None:
        query = query.where(TaskRun.source_id == filters.source_id)
    if filters.task_name is not None:
        query = query.where(TaskRun.task_name == filters.task_name)
    if filters.state is not None:
        query = query.where(TaskRun.state == filters.state)
    if filters.queue is not None:
        query = query.where(TaskRun.queue == filters.queue)
    if filters.since is not None:
        query = query.where(TaskRun.created_at >= filters.since)
    if filters.failed:
        query = query.where(TaskRun.state.in_(FAILED_STATES))
    return query.order_by(TaskRun.created_at.desc(), TaskRun.id.desc()).limit(filters.limit)


def list_task_runs(session: Session, filters: RunFilters) -> list[tuple[TaskRun, str | None]]:
    """Task runs with their source's slug (if any), newest first."""
    rows = session.execute(_runs(filters))
    return [(run, slug) for run, slug in rows]


def source_task_runs(
    session: Session, filters: RunFilters
) -> list[tuple[TaskRun, ScrapeRun | None]]:
    """A source's task runs (`filters.source_id`), newest first, each with the last
    scrape run its task recorded."""
    source_id = filters.source_id
    runs = [run for run, _ in list_task_runs(session, filters)]
    task_ids = [run.task_id for run in runs]
    scrapes: dict[str, ScrapeRun] = {}
    if task_ids:
        latest = (
            select(ScrapeRun)
            .where(ScrapeRun.task_id.in_(task_ids), ScrapeRun.source_id == source_id)
            .order_by(ScrapeRun.task_id, ScrapeRun.id.desc())
            .ext(distinct_on(ScrapeRun.task_id))
        )
        scrapes = {s.task_id: s for s in session.scalars(latest) if s.task_id is not None}
    return [(run, scrapes.get(run.task_id)) for run in runs]
