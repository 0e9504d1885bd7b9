"""Venues: how many events each has, the names sources give it, and merging two into one."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.exceptions import RequestValidationError

from almanac.api.deps import SessionDep
from almanac.api.error_responses import errors
from almanac.api.schemas import CountedVenueOut, VenueDetailOut, VenueMergeIn
from almanac.core.errors import VenueNotFound
from almanac.db.venue_queries import (
    VenueCount,
    merge_venues,
    venue_aliases,
    venue_with_count,
    venues_with_counts,
)

router = APIRouter(prefix="/venues", tags=["venues"])


@router.get("", response_model=list[CountedVenueOut])
def list_venues(session: SessionDep) -> list[CountedVenueOut]:
    """Every venue by name, with its number of events (removed ones left out)."""
    return [_out(counted) for counted in venues_with_counts(session)]


@router.get("/{slug}", response_model=VenueDetailOut, responses=errors(404, e404="No such venue"))
def show_venue(slug: str, session: SessionDep) -> VenueDetailOut:
    """One venue, with its aliases: the other spellings of its name."""
    return _detail(session, slug)


@router.post(
    "/{slug}/merge",
    response_model=VenueDetailOut,
    responses=errors(400, 404, e404="No such venue"),
)
def merge(slug: str, other: VenueMergeIn, session: SessionDep) -> VenueDetailOut:
    """Merge another venue into this one: the same place under two names.

    The other venue's events move here, its name and aliases become this
    venue's aliases, and it is deleted.
    """
    _detail(session, slug)
    try:
        merge_venues(session, slug, other.venue)
    except VenueNotFound as exc:
        raise _body_error(f"{exc} to merge", other.venue) from None
    except ValueError as exc:
        raise _body_error(str(exc), other.venue) from None
    session.commit()
    return _detail(session, slug)


def _detail(session: SessionDep, slug: str) -> VenueDetailOut:
    try:
        counted = venue_with_count(session, slug)
    except VenueNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    aliases = venue_aliases(session, counted.venue.id)
    return VenueDetailOut(**_out(counted).model_dump(), aliases=aliases)


def _out(counted: VenueCount) -> CountedVenueOut:
    venue = counted.venue
    return CountedVenueOut(
        slug=venue.slug,
        name=venue.name,
        address=venue.address,
        url=venue.url,
        event_count=counted.event_count,
    )


def _body_error(message: str, value: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", "venue"), "msg": message, "input": value}]
    )
