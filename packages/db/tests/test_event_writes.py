"""Storing parsed events: identity, no writes when nothing changed, moves remembered."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn
from almanac.db.event_writes import write_events
from almanac.db.models import Event, Occurrence, Source

START = datetime(2026, 12, 3, 19, tzinfo=UTC)


def _event(
    uid: str = "gig-1", title: str = "Gig", start: datetime = START, sequence: int = 0
) -> EventIn:
    occurrence = OccurrenceIn("single", start, start + timedelta(hours=2), False, "UTC")
    return EventIn(external_id=uid, title=title, occurrences=(occurrence,), sequence=sequence)


@pytest.fixture
def source(db_session: Session) -> Source:
    source = Source(slug="folk-club", name="Folk Club", kind="ical", url="https://x.example/a.ics")
    db_session.add(source)
    db_session.flush()
    return source


def _xmins(session: Session) -> set[str]:
    return {
        str(x)
        for x in session.scalars(
            text("SELECT xmin::text FROM events UNION ALL SELECT xmin::text FROM occurrences")
        )
    }


def test_first_ingest_creates_events_and_occurrences(db_session: Session, source: Source) -> None:
    counts = write_events(db_session, source.id, [_event("a"), _event("b", "Other")])
    assert (counts.found, counts.created, counts.updated, counts.unchanged) == (2, 2, 0, 0)
    starts = select(Occurrence.starts_at).join(Event).where(Event.external_id == "a")
    assert db_session.scalar(starts) == START


def test_same_events_again_write_nothing(db_session: Session, source: Source) -> None:
    write_events(db_session, source.id, [_event("a"), _event("b", "Other")])
    db_session.commit()
    before = _xmins(db_session)
    counts = write_events(db_session, source.id, [_event("a"), _event("b", "Other")])
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 2)
    assert _xmins(db_session) == before


def test_changed_event_is_updated_in_place(db_session: Session, source: Source) -> None:
    write_events(db_session, source.id, [_event("a")])
    event_id = db_session.scalar(select(Event.id))
    counts = write_events(db_session, source.id, [_event("a", "Gig (sold out)")])
    assert counts.updated == 1
    event = db_session.scalars(select(Event)).one()
    db_session.refresh(event)
    assert (event.id, event.title, event.sequence) == (event_id, "Gig (sold out)", 1)


def test_moved_occurrence_keeps_its_identity_and_previous_start(
    db_session: Session, source: Source
) -> None:
    write_events(db_session, source.id, [_event("a")])
    occurrence_id = db_session.scalar(select(Occurrence.id))
    later = START + timedelta(days=1)
    write_events(db_session, source.id, [_event("a", start=later)])
    moved = db_session.scalars(select(Occurrence)).one()
    db_session.refresh(moved)
    assert (moved.id, moved.starts_at, moved.previous_starts_at) == (occurrence_id, later, START)


def test_highest_sequence_wins_among_duplicate_uids(db_session: Session, source: Source) -> None:
    newer = _event("a", "Gig (new time)", sequence=2)
    counts = write_events(db_session, source.id, [newer, _event("a", "Gig (old)", sequence=1)])
    assert counts.found == 1
    assert db_session.scalar(select(Event.title)) == "Gig (new time)"


def test_cancelled_status_is_stored(db_session: Session, source: Source) -> None:
    write_events(db_session, source.id, [_event("a")])
    write_events(db_session, source.id, [replace(_event("a"), status=EventStatus.CANCELLED)])
    assert db_session.scalar(select(Event.status)) == "cancelled"
