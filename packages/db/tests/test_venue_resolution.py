"""Events find their venue: one venue however many ways sources spell its place."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from almanac.db.models import Event, Source, Venue, VenueAlias
from almanac.db.venue_queries import merge_venues
from almanac.db.venue_resolution import resolve_venues, slug_of, venue_ids


def _event(session: Session, source: Source, external_id: str, location: str | None) -> Event:
    event = Event(
        source_id=source.id,
        external_id=external_id,
        title=external_id,
        location_text=location,
        content_hash="c",
        schedule_hash="s",
    )
    session.add(event)
    session.flush()
    return event


def _venue_of(session: Session, event: Event) -> Venue | None:
    session.refresh(event)
    return session.get(Venue, event.venue_id) if event.venue_id is not None else None


def test_one_place_spelled_with_and_without_its_address_is_one_venue(
    db_session: Session, source: Source
) -> None:
    full = _event(db_session, source, "a", "Van Wezel Performing Arts Hall, 777 N Tamiami Trl")
    short = _event(db_session, source, "b", "  van wezel   performing arts hall ")
    nowhere = _event(db_session, source, "c", None)

    assert resolve_venues(db_session, source.id) == 2

    venue = _venue_of(db_session, full)
    assert venue is not None
    assert (venue.slug, venue.name, venue.address) == (
        "van-wezel-performing-arts-hall",
        "Van Wezel Performing Arts Hall",
        "777 N Tamiami Trl",
    )
    assert _venue_of(db_session, short) == venue
    assert _venue_of(db_session, nowhere) is None
    aliases = db_session.scalars(select(VenueAlias.alias).where(VenueAlias.venue_id == venue.id))
    assert set(aliases) == {
        "van wezel performing arts hall, 777 n tamiami trl",
        "van wezel performing arts hall",
    }


def test_a_run_with_every_venue_known_writes_nothing(db_session: Session, source: Source) -> None:
    _event(db_session, source, "a", "The Hall")
    assert resolve_venues(db_session, source.id) == 1
    assert resolve_venues(db_session, source.id) == 0
    assert db_session.scalar(select(Venue.slug)) == "the-hall"


def test_a_place_merged_away_is_found_as_the_venue_kept(
    db_session: Session, source: Source
) -> None:
    _event(db_session, source, "a", "Bayfront Arts Collective")
    _event(db_session, source, "b", "Bayfront Arts")
    resolve_venues(db_session, source.id)
    merge_venues(db_session, "bayfront-arts-collective", "bayfront-arts")

    later = _event(db_session, source, "c", "Bayfront Arts, 1 Bay St")
    assert resolve_venues(db_session, source.id) == 1

    venue = _venue_of(db_session, later)
    assert venue is not None
    assert venue.slug == "bayfront-arts-collective"


def test_two_places_of_one_name_get_slugs_of_their_own(db_session: Session, source: Source) -> None:
    db_session.add(Venue(slug="the-hall", name="The Hall, Tampa"))
    db_session.flush()
    event = _event(db_session, source, "a", "The Hall")
    resolve_venues(db_session, source.id)
    venue = _venue_of(db_session, event)
    assert venue is not None
    assert venue.slug == "the-hall-2"


def test_a_run_of_many_places_looks_their_aliases_up_at_once(
    db_session: Session, source: Source
) -> None:
    places = [f"Hall {number}, {number} Main St" for number in range(40)]
    first = venue_ids(db_session, places)
    assert len(set(first.values())) == 40

    lookups: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "venue_aliases" in statement:
            lookups.append(statement)

    connection = db_session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        again = venue_ids(db_session, [*places, "hall 7", "Hall 7, 7 Main Street"])
    finally:
        event.remove(connection, "before_cursor_execute", count)

    assert len(lookups) == 1
    assert {place: again[place] for place in places} == first
    assert again["hall 7"] == again["Hall 7, 7 Main Street"] == first["Hall 7, 7 Main St"]


def test_slugs_are_plain_ascii() -> None:
    assert slug_of("Théâtre du Soleil & Co.") == "theatre-du-soleil-co"
    assert slug_of("★★★") == "venue"
