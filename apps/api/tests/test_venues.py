"""Venues with their event counts and aliases, merging two venues, and categories."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almanac.db.models import Event, Source, Venue, VenueAlias


def _venue(db_session: Session, slug: str, name: str, *aliases: str) -> Venue:
    venue = Venue(slug=slug, name=name)
    db_session.add(venue)
    db_session.flush()
    db_session.add_all(VenueAlias(venue_id=venue.id, alias=alias) for alias in aliases)
    db_session.flush()
    return venue


def _events(
    db_session: Session,
    venue: Venue | None,
    count: int,
    categories: list[str],
    status: str = "scheduled",
) -> None:
    source = db_session.scalar(select(Source).where(Source.slug == "folk-club"))
    if source is None:
        source = Source(
            slug="folk-club", name="Folk Club", kind="ical", url="https://x.example/f.ics"
        )
        db_session.add(source)
        db_session.flush()
    taken = len(db_session.scalars(select(Event.id)).all())
    db_session.add_all(
        Event(
            source_id=source.id,
            external_id=f"e{taken + n}",
            title=f"Event {taken + n}",
            venue_id=venue.id if venue else None,
            categories=categories,
            status=status,
            content_hash="x",
            schedule_hash="x",
        )
        for n in range(count)
    )
    db_session.commit()


def test_venues_are_listed_with_their_event_counts(client: TestClient, db_session: Session) -> None:
    hall = _venue(db_session, "town-hall", "Town Hall")
    empty = _venue(db_session, "boathouse", "The Boathouse")
    _events(db_session, hall, 3, [])
    _events(db_session, hall, 1, [], status="removed")
    assert empty.id
    listed = client.get("/venues").json()
    assert [(v["slug"], v["name"], v["event_count"]) for v in listed] == [
        ("boathouse", "The Boathouse", 0),
        ("town-hall", "Town Hall", 3),
    ]


def test_a_venue_shows_its_aliases(client: TestClient, db_session: Session) -> None:
    _venue(db_session, "town-hall", "Town Hall", "the town hall", "town hall, main st")
    shown = client.get("/venues/town-hall").json()
    assert shown["aliases"] == ["the town hall", "town hall, main st"]
    assert client.get("/venues/nowhere").status_code == 404


def test_a_merge_moves_the_events_and_keeps_the_names(
    client: TestClient, db_session: Session
) -> None:
    hall = _venue(db_session, "town-hall", "Town Hall", "the town hall")
    other = _venue(db_session, "city-hall-main-st", "City Hall  (Main St)", "city hall")
    _events(db_session, hall, 2, [])
    _events(db_session, other, 3, [])
    moved_ids = {
        e.external_id for e in db_session.scalars(select(Event).where(Event.venue_id == other.id))
    }
    before = max(e.updated_at for e in db_session.scalars(select(Event)))

    merged = client.post("/venues/town-hall/merge", json={"venue": "city-hall-main-st"})
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["event_count"] == 5
    assert body["aliases"] == ["city hall", "city hall (main st)", "the town hall"]
    assert client.get("/venues/city-hall-main-st").status_code == 404
    assert [v["slug"] for v in client.get("/venues").json()] == ["town-hall"]
    db_session.expire_all()
    events = list(db_session.scalars(select(Event)))
    assert {e.venue_id for e in events} == {hall.id}
    moved = [e for e in events if e.external_id in moved_ids]
    assert all(e.updated_at > before for e in moved)  # feeds see the change


def test_a_bad_merge_changes_nothing(client: TestClient, db_session: Session) -> None:
    hall = _venue(db_session, "town-hall", "Town Hall")
    _events(db_session, hall, 1, [])
    itself = client.post("/venues/town-hall/merge", json={"venue": "town-hall"})
    assert itself.status_code == 422
    assert "itself" in itself.json()["detail"][0]["msg"]
    unknown = client.post("/venues/town-hall/merge", json={"venue": "nowhere"})
    assert unknown.status_code == 422
    assert "no venue 'nowhere'" in unknown.json()["detail"][0]["msg"]
    assert client.post("/venues/nowhere/merge", json={"venue": "town-hall"}).status_code == 404
    assert client.post("/venues/town-hall/merge", json={}).status_code == 422
    assert client.get("/venues/town-hall").json()["event_count"] == 1


def test_categories_are_counted_by_event(client: TestClient, db_session: Session) -> None:
    _events(db_session, None, 3, ["music", "folk"])
    _events(db_session, None, 1, ["music"])
    _events(db_session, None, 2, ["theatre"], status="removed")
    _events(db_session, None, 1, [])
    assert client.get("/categories").json() == [
        {"name": "music", "event_count": 4},
        {"name": "folk", "event_count": 3},
    ]
