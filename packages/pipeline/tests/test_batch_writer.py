"""A feed stored batch by batch while it is read: the same result as storing it at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, OccurrenceIn
from almanac.db.event_writes import WritePlan
from almanac.db.models import Event, Occurrence, Source
from almanac.db.window import Window
from almanac.pipeline.batch_writer import BatchWriter

START = datetime(2026, 12, 3, 19, tzinfo=UTC)
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
PLAN = WritePlan(
    Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2027, 11, 22, tzinfo=UTC)), NOW
)


def _event(uid: str, title: str = "Gig", sequence: int = 0, day: int = 0) -> EventIn:
    start = START + timedelta(days=day)
    occurrence = OccurrenceIn("single", start, start + timedelta(hours=2), False, "UTC")
    return EventIn(external_id=uid, title=title, occurrences=(occurrence,), sequence=sequence)


@pytest.fixture
def source(db_session: Session) -> Source:
    source = Source(slug="folk-club", name="Folk Club", kind="ical", url="https://x.example/a.ics")
    db_session.add(source)
    db_session.flush()
    return source


def _titles(session: Session) -> dict[str, str]:
    return {uid: title for uid, title in session.execute(select(Event.external_id, Event.title))}


def test_every_batch_is_stored_once_and_counted(db_session: Session, source: Source) -> None:
    writer = BatchWriter(db_session, source.id)
    for start in range(0, 30, 10):
        writer.put([_event(f"gig-{n}", day=n) for n in range(start, start + 10)])
    counts = writer.finish(PLAN)
    assert (counts.found, counts.created, counts.updated, counts.unchanged) == (30, 30, 0, 0)
    assert len(_titles(db_session)) == 30
    assert len(db_session.scalars(select(Occurrence.id)).all()) == 30
    assert sorted(writer.external_ids) == sorted(f"gig-{n}" for n in range(30))


def test_a_stored_event_that_changed_is_updated_when_the_feed_is_done(
    db_session: Session, source: Source
) -> None:
    first = BatchWriter(db_session, source.id)
    first.put([_event("a"), _event("b")])
    first.finish(PLAN)
    again = BatchWriter(db_session, source.id)
    again.put([_event("a", "Gig, moved to the big hall")])
    again.put([_event("b")])
    counts = again.finish(PLAN)
    assert (counts.found, counts.created, counts.updated, counts.unchanged) == (2, 0, 1, 1)
    assert _titles(db_session) == {"a": "Gig, moved to the big hall", "b": "Gig"}


@pytest.mark.parametrize(
    ("sequences", "kept"), [((1, 2), "version 2"), ((2, 1), "version 2"), ((1, 1), "version 1b")]
)
def test_an_event_repeated_in_a_later_batch_keeps_its_highest_sequence(
    db_session: Session, source: Source, sequences: tuple[int, int], kept: str
) -> None:
    early, late = sequences
    early_title = f"version {early}"
    late_title = "version 1b" if early == late else f"version {late}"
    writer = BatchWriter(db_session, source.id)
    writer.put([_event("a", early_title, early), _event("b")])
    writer.put([_event("a", late_title, late)])
    counts = writer.finish(PLAN)
    assert counts.found == 2
    assert _titles(db_session)["a"] == kept


def test_a_failure_in_the_thread_reaches_the_caller(db_session: Session, source: Source) -> None:
    writer = BatchWriter(db_session, source.id + 1000)  # no such source: the foreign key fails
    writer.put([_event("a")])
    with pytest.raises(Exception, match="foreign key"):
        writer.finish(PLAN)
    db_session.rollback()
    assert _titles(db_session) == {}


@pytest.mark.parametrize("stored_ids", [frozenset[str](), frozenset({"b"})])
def test_events_hashed_ahead_are_stored_as_if_hashed_in_place(
    db_session: Session, source: Source, stored_ids: frozenset[str]
) -> None:
    """Whatever the writer was told is stored, reading the same feed again changes nothing."""
    first = BatchWriter(db_session, source.id, stored_ids=stored_ids)
    for start in range(0, 20, 5):
        first.put([_event(f"gig-{n}", day=n) for n in range(start, start + 5)])
    assert first.finish(PLAN).created == 20
    again = BatchWriter(db_session, source.id)
    again.put([_event(f"gig-{n}", day=n) for n in range(20)])
    counts = again.finish(PLAN)
    assert (counts.found, counts.created, counts.updated, counts.unchanged) == (20, 0, 0, 20)
