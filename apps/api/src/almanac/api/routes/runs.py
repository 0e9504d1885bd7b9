"""Run history: every Celery task the workers took, newest first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select

from almanac.api.deps import SessionDep
from almanac.api.error_responses import errors
from almanac.api.schemas import ScrapeOutcomeOut, SourceRunOut, TaskRunOut
from almanac.db.models import TASK_STATES, ScrapeRun, Source, TaskRun
from almanac.db.task_run_queries import RunFilters, list_task_runs, source_task_runs

router = APIRouter(tags=["operations"])

Limit = Annotated[int, Query(ge=1, le=500, description="At most this many runs (1–500)")]


Task = Annotated[str | None, Query(description="Only this task, e.g. `almanac.scrape_source`")]
State = Annotated[
    str | None, Query(description=f"Only tasks in this state: {', '.join(TASK_STATES)}")
]
QueueName = Annotated[str | None, Query(description="Only tasks taken from this queue")]
Since = Annotated[datetime | None, Query(description="Only tasks first seen since then (ISO time)")]
Failed = Annotated[bool, Query(description="Only tasks that failed or were rejected")]


@router.get("/runs", response_model=list[TaskRunOut])
def list_runs(
    session: SessionDep,
    source: Annotated[str | None, Query(description="Only this source's tasks (slug)")] = None,
    task: Task = None,
    state: State = None,
    queue: QueueName = None,
    since: Since = None,
    failed: Failed = False,
    limit: Limit = 50,
) -> list[TaskRunOut]:
    """Task runs, newest first, filtered by any of source, task, state, queue and time."""
    source_id = None
    if source is not None:
        source_id = session.scalar(select(Source.id).where(Source.slug == source))
        if source_id is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown source {source!r}")
    filters = _filters(source_id, task, state, queue, since, failed, limit)
    return [_out(run, slug) for run, slug in list_task_runs(session, filters)]


@router.get(
    "/sources/{slug}/runs",
    response_model=list[SourceRunOut],
    tags=["sources"],
    responses=errors(404, e404="No such source"),
)
def source_runs(
    slug: str,
    session: SessionDep,
    task: Task = None,
    state: State = None,
    queue: QueueName = None,
    since: Since = None,
    failed: Failed = False,
    limit: Limit = 50,
) -> list[SourceRunOut]:
    """The source's task runs, newest first, each with what its scrape recorded;
    filtered like `GET /runs`."""
    source_id = session.scalar(select(Source.id).where(Source.slug == slug))
    if source_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no source {slug!r}")
    filters = _filters(source_id, task, state, queue, since, failed, limit)
    return [
        SourceRunOut(
            **_out(run, slug).model_dump(),
            scrape=_scrape(scrape) if scrape is not None else None,
        )
        for run, scrape in source_task_runs(session, filters)
    ]


def _filters(
    source_id: int | None,
    task: str | None,
    state: str | None,
    queue: str | None,
    since: datetime | None,
    failed: bool,
    limit: int,
) -> RunFilters:
    if state is not None and state not in TASK_STATES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"unknown state {state!r}: use one of {', '.join(TASK_STATES)}",
        )
    return RunFilters(
        source_id=source_id,
        task_name=task,
        state=state,
        queue=queue,
        since=_aware(since) if since else None,
        failed=failed,
        limit=limit,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _out(run: TaskRun, slug: str | None) -> TaskRunOut:
    return TaskRunOut(
        task_id=run.task_id,
        task_name=run.task_name,
        state=run.state,
        queue=run.queue,
        worker=run.worker,
        retries=run.retries,
        source=slug,
        trigger=run.trigger,
        args=run.args,
        keyword_args=run.kwargs,
        received_at=run.received_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        runtime_seconds=run.runtime_seconds,
        error=run.error,
        created_at=run.created_at,
        updated_at=run.updated_at,
    )


def _scrape(run: ScrapeRun) -> ScrapeOutcomeOut:
    return ScrapeOutcomeOut.model_validate(run, from_attributes=True)
