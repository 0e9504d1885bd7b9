"""Sources and their scrape trigger."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select

from almanac.api.deps import CeleryDep, SessionDep, SettingsDep
from almanac.api.schemas import SourceHealthOut, SourceOut, TaskAccepted
from almanac.core import tasks
from almanac.core.domain import Trigger
from almanac.db.models import Source
from almanac.db.scrape_leases import dispatch_scrape, lease_seconds

router = APIRouter(prefix="/sources", tags=["sources"])


def _out(source: Source) -> SourceOut:
    return SourceOut.model_validate(
        {**_columns(source), "health": _health(source)}, from_attributes=False
    )


def _columns(source: Source) -> dict[str, object]:
    return {name: getattr(source, name) for name in SourceOut.model_fields if name != "health"}


def _health(source: Source) -> SourceHealthOut:
    leased = (
        source.scrape_task_id is not None
        and source.scrape_lease_until is not None
        and source.scrape_lease_until > datetime.now(UTC)
    )
    return SourceHealthOut(
        last_outcome=source.last_status,
        last_run_at=source.last_run_at,
        consecutive_failures=source.consecutive_failures,
        last_event_count=source.last_event_count,
        last_good_event_count=source.last_good_event_count,
        suspect=source.health_reason is not None,
        reason=source.last_error or source.health_reason,
        next_run_at=source.next_run_at,
        running_task_id=source.scrape_task_id if leased else None,
    )


@router.get("", response_model=list[SourceOut])
def list_sources(session: SessionDep) -> list[SourceOut]:
    """Every source, with its health."""
    return [_out(s) for s in session.scalars(select(Source).order_by(Source.slug))]


@router.post(
    "/{slug}/scrape",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    responses={404: {"description": "No such source"}},
)
def scrape_source(
    slug: str, session: SessionDep, celery: CeleryDep, settings: SettingsDep, request: Request
) -> TaskAccepted:
    """Scrape the source now, ahead of scheduled scrapes; follow the task at `status_url`.

    If the source is already queued or being scraped, no second scrape is
    sent: the answer names the task that is (`already_running`).
    """
    source = session.scalar(select(Source).where(Source.slug == slug))
    if source is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no source {slug!r}")

    def send(task_id: str) -> None:
        celery.send_task(
            tasks.SCRAPE_SOURCE,
            kwargs={"source": source.slug, "trigger": str(Trigger.API)},
            task_id=task_id,
            priority=tasks.scrape_priority(Trigger.API),
        )

    sent = dispatch_scrape(session, source.slug, send, lease_seconds(settings))
    return TaskAccepted(
        task_id=sent.task_id,
        status_url=str(request.url_for("get_task", task_id=sent.task_id)),
        already_running=sent.already_running,
    )
