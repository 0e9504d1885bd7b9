"""Venues with their event counts and aliases, and merging two venues into one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from almanac.core.domain import EventStatus
from almanac.core.errors import VenueNotFound
from almanac.core.venue_names import venue_key
from almanac.db.models import Event, Venue, VenueAlias


@dataclass(frozen=True, slots=True)
class VenueCount:
    venue: Venue
    event_count: int
    """Events at the venue that are not removed."""


@dataclass(frozen=True, slots=True)
class CategoryCount:
    name: str
    event_count: int


def _counted() -> Select[Venue, int]:
    listed = (Event.venue_id == Venue.id) & (Event.status != EventStatus.REMOVED)
    return (
        select(Venue, func.count(Event.id))
        .outerjoin(Event, listed)
        .group_by(Venue.id)
        .order_by(Venue.name, Venue.slug)
    )


def venues_with_counts(session: Session) -> list[VenueCount]:
    """Every venue by name, with how many events it has."""
    return [VenueCount(venue, count) for venue, count in session.execute(_counted())]


def venue_with_count(session: Session, slug: str) -> VenueCount:
    """The venue with this slug; raises `VenueNotFound`."""
    row = session.execute(_counted().where(Venue.slug == slug)).first()
    if row is None:
        raise VenueNotFound(f"no venue {slug!r}")
    return VenueCount(*row)


def venue_aliases(session: Session, venue_id: int) -> list[str]:
    return list(
        session.scalars(
            select(VenueAlias.alias)
            .where(VenueAlias.venue_id == venue_id)
            .order_by(VenueAlias.alias)
        )
    )


def merge_venues(session: Session, survivor_slug: str, merged_slug: str) -> Venue:
    """Make `merged_slug` another name of `survivor_slug`, and delete it.

    Its events move to the survivor; its name and its aliases become the
    survivor's aliases. Raises `VenueNotFound` for either slug, and
    `ValueError` for a venue merged into itself.
    """
    if survivor_slug == merged_slug:
        raise ValueError(f"a venue cannot be merged into itself ({survivor_slug!r})")
    survivor = _venue(session, survivor_slug)
    merged = _venue(session, merged_slug)
    # A moved event has changed: feeds and listings that ask what changed since must see it.
    session.execute(
        update(Event)
        .where(Event.venue_id == merged.id)
        .values(venue_id=survivor.id, updated_at=func.statement_timestamp())
    )
    session.execute(
        update(VenueAlias).where(VenueAlias.venue_id == merged.id).values(venue_id=survivor.id)
    )
    session.execute(
        pg_insert(VenueAlias)
        .values(venue_id=survivor.id, alias=venue_key(merged.name))
        .on_conflict_do_update(index_elements=[VenueAlias.alias], set_={"venue_id": survivor.id})
    )
    session.execute(delete(Venue).where(Venue.id == merged.id))
    session.expire_all()
    return _venue(session, survivor_slug)


def _venue(session: Session, slug: str) -> Venue:
    venue = session.scalar(select(Venue).where(Venue.slug == slug))
    if venue is None:
        raise VenueNotFound(f"no venue {slug!r}")
    return venue


def category_counts(session: Session) -> list[CategoryCount]:
    """Every category events carry, with how many events (not removed) carry it; most first."""
    tagged = (
        select(func.unnest(Event.categories).label("name"), Event.id.label("event_id"))
        .where(Event.status != EventStatus.REMOVED)
        .subquery()
    )
    events = func.count(func.distinct(tagged.c.event_id))
    rows = session.execute(
        select(tagged.c.name, events).group_by(tagged.c.name).order_by(events.desc(), tagged.c.name)
    )
    return [CategoryCount(str(name), count) for name, count in rows]
