"""Events find their venue: one venue however many ways sources spell its place.

A location is known by its aliases (`almanac.core.venue_names.venue_key`): the
whole text as a source wrote it, and its name, the part before the first comma.
A location no alias knows makes a new venue, named by that part, with the rest
as its address. Merging two venues makes the one merged away another alias of
the one kept, so later runs find the kept one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import BigInteger, Text, column, delete, func, select, update, values
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from almanac.core.venue_names import venue_key
from almanac.db.models import Event, Venue, VenueAlias

MAX_SLUG = 90
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_MADE = "almanac.venues_made"
"""Where a session keeps the slugs of the venues it made (`Session.info`)."""


def place_of(location: str) -> tuple[str, str | None]:
    """(name, address) of a location as written: the name comes before the first comma."""
    name, _, rest = " ".join(location.split()).partition(",")
    return name.strip() or " ".join(location.split()), rest.strip() or None


def venue_ids(session: Session, locations: Iterable[str | None]) -> dict[str, int]:
    """The venue of each location (blank ones left out), made where no alias knows it,
    in the caller's transaction: what the writes of a run's events carry. The aliases
    of every location are looked up in one statement, however many there are."""
    wanted = {text for text in locations if text and text.strip()}
    if not wanted:
        return {}
    keys_of = {text: _keys_of(text) for text in wanted}
    every_key = sorted({key for keys in keys_of.values() for key in keys})
    rows = session.execute(
        select(VenueAlias.alias, VenueAlias.venue_id).where(VenueAlias.alias.in_(every_key))
    )
    known = {alias: venue_id for alias, venue_id in rows}
    found: dict[str, int] = {}
    missing: dict[int, list[str]] = {}
    # The fullest spelling (with an address, longest) names a venue made here.
    for text in sorted(wanted, key=lambda text: ("," not in text, -len(text), text)):
        keys = keys_of[text]
        venue_id = next((known[key] for key in keys if key in known), None)
        if venue_id is None:
            venue_id = _made_venue(session, text, keys)
        else:
            missing.setdefault(venue_id, []).extend(key for key in keys if key not in known)
        known.update({key: venue_id for key in keys if key not in known})
        found[text] = venue_id
    _add_aliases(
        session,
        [(venue_id, key) for venue_id, keys in missing.items() for key in dict.fromkeys(keys)],
    )
    return found


def resolve_venues(session: Session, source_id: int) -> int:
    """Give each of the source's events that has a location and no venue its venue, in
    the caller's transaction; returns how many were given one. The writes give new and
    changed events theirs: this finds events stored before venues were kept."""
    locations = session.scalars(
        select(func.coalesce(Event.location_text, ""))
        .where(
            Event.source_id == source_id,
            Event.venue_id.is_(None),
            func.btrim(Event.location_text) != "",
        )
        .distinct()
    ).all()
    if not locations:
        return 0
    found = values(column("location_text", Text), column("venue_id", BigInteger), name="found")
    found = found.data(list(venue_ids(session, locations).items()))
    given = session.execute(
        update(Event)
        .where(
            Event.source_id == source_id,
            Event.venue_id.is_(None),
            Event.location_text == found.c.location_text,
        )
        .values(venue_id=found.c.venue_id, updated_at=func.statement_timestamp())
        .execution_options(synchronize_session=False)
    )
    return int(given.rowcount)  # type: ignore[attr-defined]


def venues_made(session: Session) -> list[str]:
    """The slugs of the venues this session made, in order: a run's session, the run's
    new venues, which its record names so that an operator sees places appear."""
    return list(session.info.get(_MADE, ()))


def _keys_of(location: str) -> list[str]:
    """The aliases a location is known by: the whole text, then its name."""
    name, _ = place_of(location)
    return list(dict.fromkeys([venue_key(location), venue_key(name)]))


def _made_venue(session: Session, location: str, keys: list[str]) -> int:
    """A new venue for a location no alias knows, with its aliases; or the one another
    run made for it meanwhile (the alias decides, and ours goes)."""
    made, slug = _new_venue(session, *place_of(location))
    _add_aliases(session, [(made, key) for key in keys])
    winner = session.scalar(select(VenueAlias.venue_id).where(VenueAlias.alias == keys[0]))
    if winner is not None and winner != made:
        session.execute(delete(Venue).where(Venue.id == made))
        return int(winner)
    session.info.setdefault(_MADE, []).append(slug)
    return made


def _add_aliases(session: Session, aliases: list[tuple[int, str]]) -> None:
    """(venue id, alias) pairs, those already known left as they are."""
    if aliases:
        session.execute(
            pg_insert(VenueAlias)
            .values([{"venue_id": venue_id, "alias": key} for venue_id, key in aliases])
            .on_conflict_do_nothing(index_elements=[VenueAlias.alias])
        )


def _new_venue(session: Session, name: str, address: str | None) -> tuple[int, str]:
    """A new venue, its slug made from its name (numbered when taken): (id, slug)."""
    base = slug_of(name)
    number = 1
    while True:
        slug = base if number == 1 else f"{base[: MAX_SLUG - 6]}-{number}"
        made = session.scalar(
            pg_insert(Venue)
            .values(slug=slug, name=name, address=address)
            .on_conflict_do_nothing(index_elements=[Venue.slug])
            .returning(Venue.id)
        )
        if made is not None:
            return int(made), slug
        number += 1


def slug_of(name: str) -> str:
    """Lower-case ASCII letters and digits joined by hyphens; `venue` if none are left."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", plain.lower()).strip("-")[:MAX_SLUG].rstrip("-") or "venue"
