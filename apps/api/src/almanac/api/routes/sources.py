"""Sources: listing, saving, changing and disabling them, previewing one, scraping one now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from celery.exceptions import TimeoutError as ResultTimeout
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import select

from almanac.api.deps import CeleryDep, SessionDep, SettingsDep
from almanac.api.error_responses import errors
from almanac.api.reads import ReadsDep
from almanac.api.schemas import (
    SourceChanges,
    SourceDisabled,
    SourceOut,
    SourcePreviewIn,
    SourcePreviewOut,
    TaskAccepted,
)
from almanac.core import tasks
from almanac.core.addresses import (
    PrivateAddressRefused,
    refuse_private_source,
    without_credentials,
)
from almanac.core.domain import Trigger
from almanac.core.errors import SourceExists, SourceNotFound
from almanac.core.source_configs import check_config
from almanac.core.sources import SourceSpec
from almanac.db.models import Source
from almanac.db.scrape_leases import dispatch_scrape, lease_seconds
from almanac.db.source_queries import SOURCE_COLUMNS, source_rows
from almanac.db.source_writes import changed_spec, create_source, disable_source, update_source

router = APIRouter(prefix="/sources", tags=["sources"])


_SHOWN = tuple(name for name in SourceOut.model_fields if name != "health")


def _out(source: Source) -> SourceOut:
    return SourceOut.model_validate(_fields(_stored(source), datetime.now(UTC)))


def _stored(source: Source) -> dict[str, Any]:
    """The source's row, as the list reads it."""
    return {name: getattr(source, name) for name in SOURCE_COLUMNS}


def _fields(source: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The fields of `SourceOut`: a password in its URL is not shown."""
    fields = {name: source[name] for name in _SHOWN}
    fields["url"] = without_credentials(source["url"])
    fields["health"] = _health_fields(source, now)
    return fields


def _health_fields(source: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The fields of `SourceHealthOut`: the source's last outcome and what runs next."""
    lease_until = source["scrape_lease_until"]
    leased = lease_until is not None and lease_until > now
    return {
        "last_outcome": source["last_status"],
        "last_run_at": source["last_run_at"],
        "consecutive_failures": source["consecutive_failures"],
        "last_event_count": source["last_event_count"],
        "last_good_event_count": source["last_good_event_count"],
        "suspect": source["health_reason"] is not None,
        "reason": source["last_error"] or source["health_reason"],
        "next_run_at": source["next_run_at"],
        "running_task_id": source["scrape_task_id"] if leased else None,
    }


@router.get("", response_model=list[SourceOut])
async def list_sources(reads: ReadsDep) -> Response:
    """Every source, with its health."""
    rows = await reads.run(source_rows)
    now = datetime.now(UTC)
    listed = [_fields(row, now) for row in rows]
    # Written straight from the rows, which the database has typed: each field as
    # `SourceOut` has it, without building and checking a model per source.
    return Response(orjson.dumps(listed, option=orjson.OPT_UTC_Z), media_type="application/json")


@router.get("/{slug}", response_model=SourceOut, responses=errors(404, e404="No such source"))
def show_source(slug: str, session: SessionDep) -> SourceOut:
    """One source, with its config and health."""
    return _out(_source(session, slug))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SourceOut,
    responses=errors(400, 409, e409="A source with this slug exists"),
)
def create(spec: SourceSpec, session: SessionDep, settings: SettingsDep) -> SourceOut:
    """Save a new source; its config is checked for its kind, and its first run planned.

    Unless private networks are allowed, a URL whose host is or resolves to a private,
    loopback or link-local address is refused.
    """
    _check_config(spec.kind, spec.config)
    _check_address(spec.url, settings)
    try:
        source = create_source(session, spec, settings, datetime.now(UTC))
    except SourceExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    session.commit()
    return _out(source)


@router.patch(
    "/{slug}", response_model=SourceOut, responses=errors(400, 404, e404="No such source")
)
def change(
    slug: str, changes: SourceChanges, session: SessionDep, settings: SettingsDep
) -> SourceOut:
    """Change some of a source's fields; a new schedule, zone or `enabled` replans its next run."""
    source = _source(session, slug)
    try:
        spec = changed_spec(source, changes.model_dump(exclude_unset=True))
    except ValidationError as exc:
        raise RequestValidationError(_in_body(exc.errors())) from None
    _check_config(spec.kind, spec.config)
    if spec.url != source.url:
        _check_address(spec.url, settings)
    source = update_source(session, spec, settings, datetime.now(UTC))
    session.commit()
    return _out(source)


@router.delete(
    "/{slug}", response_model=SourceDisabled, responses=errors(404, e404="No such source")
)
def disable(
    slug: str, session: SessionDep, settings: SettingsDep, purge: bool = False
) -> SourceDisabled:
    """Disable the source: it is no longer scraped, its events and history stay.

    With `?purge=true` its events are deleted too (they leave every listing
    and feed); the source itself stays, disabled, and can be enabled again.
    """
    try:
        source, purged = disable_source(session, slug, settings, datetime.now(UTC), purge=purge)
    except SourceNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    session.commit()
    return SourceDisabled.model_validate(
        {
            **_fields(_stored(source), datetime.now(UTC)),
            "events_purged": purged,
        }
    )


@router.post(
    "/preview",
    response_model=SourcePreviewOut,
    responses=errors(400, 504),
)
def preview(proposed: SourcePreviewIn, celery: CeleryDep, settings: SettingsDep) -> Any:
    """Fetch and parse a proposed source without saving it: the events it would create
    and the problems met, so a page that yields nothing says why.

    A worker does the reading; the answer waits for it up to
    `ALMANAC_PREVIEW_TIMEOUT_SECONDS`.
    """
    _check_config(proposed.kind, proposed.config)
    _check_address(proposed.url, settings)
    result = celery.send_task(
        tasks.PREVIEW_SOURCE,
        kwargs=proposed.model_dump(mode="json", include={"kind", "url", "config", "timezone"}),
        priority=tasks.PRIORITY_NOW,
        expires=settings.preview_timeout_seconds,  # nobody waits for it after that
    )
    try:
        return result.get(timeout=settings.preview_timeout_seconds, propagate=True)
    except ResultTimeout:
        result.revoke()
        raise HTTPException(
            status.HTTP_504_GATEWAY_TIMEOUT,
            f"no worker read the source within {settings.preview_timeout_seconds:g} s: "
            "is a worker running on the scrape queue?",
        ) from None
    finally:
        result.forget()


@router.post(
    "/{slug}/scrape",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    responses=errors(404, e404="No such source"),
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


def _source(session: SessionDep, slug: str) -> Source:
    source = session.scalar(select(Source).where(Source.slug == slug))
    if source is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no source {slug!r}")
    return source


def _check_config(kind: str, config: object) -> None:
    """A config its kind cannot use is a 422 naming the key, as the CLI's import reports it."""
    try:
        check_config(kind, config)
    except ValueError as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "config"), "msg": str(exc), "input": config}]
        ) from None


def _check_address(url: str, settings: SettingsDep) -> None:
    """A 400 naming the address, for a URL that leads into a private network."""
    try:
        refuse_private_source(url, settings)
    except PrivateAddressRefused as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None


def _in_body(errors: Any) -> list[dict[str, Any]]:
    return [{**error, "loc": ("body", *error["loc"])} for error in errors]
