"""Storing parsed events: identity, no writes when nothing changed, moves remembered."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, select, text
from sqlalchemy.event import listen, remove
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn
from almanac.db.event_removals import remove_missing_events
from almanac.db.event_writes import WriteCounts, WritePlan, write_events
from almanac.db.models import Event, Occurrence, Source
from almanac.db.window import Window

START = datetime(2026, 12, 3, 19, tzinfo=UTC)
HOUR = timedelta(hours=1)
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
WINDOW = Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2027, 11, 22, tzinfo=UTC))


def _event(
    uid: str = "gig-1", title: str = "Gig", start: datetime = START, sequence: int = 0
) -> EventIn:
    occurrence = OccurrenceIn("single", start, start + timedelta(hours=2), False, "UTC")
    return EventIn(external_id=uid, title=title, occurrences=(occurrence,), sequence=sequence)


def _write(session: Session, source_id: int, events: list[EventIn]) -> WriteCounts:
    return write_events(session, source_id, events, WritePlan(WINDOW, NOW))


def _xmins(session: Session) -> set[str]:
    return {
        str(x)
        for x in session.scalars(
            text("SELECT xmin::text FROM events UNION ALL SELECT xmin::text FROM occurrences")
        )
    }


def test_first_ingest_creates_events_and_occurrences(db_session: Session, source: Source) -> None:
    counts = _write(db_session, source.id, [_event("a"), _event("b", "Other")])
    assert (counts.found, counts.created, counts.updated, counts.unchanged) == (2, 2, 0, 0)
    starts = select(Occurrence.starts_at).join(Event).where(Event.external_id == "a")
    assert db_session.scalar(starts) == START


def test_same_events_again_write_nothing(db_session: Session, source: Source) -> None:
    _write(db_session, source.id, [_event("a"), _event("b", "Other")])
    db_session.commit()
    before = _xmins(db_session)
    counts = _write(db_session, source.id, [_event("a"), _event("b", "Other")])
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 2)
    assert _xmins(db_session) == before


def test_changed_event_is_updated_in_place(db_session: Session, source: Source) -> None:
    _write(db_session, source.id, [_event("a")])
    event_id = db_session.scalar(select(Event.id))
    counts = _write(db_session, source.id, [_event("a", "Gig (sold out)")])
    assert counts.updated == 1
    event = db_session.scalars(select(Event)).one()
    db_session.refresh(event)
    assert (event.id, event.title, event.sequence) == (event_id, "Gig (sold out)", 1)


def test_moved_occurrence_keeps_its_identity_and_previous_start(
    db_session: Session, source: Source
) -> None:
    _write(db_session, source.id, [_event("a")])
    occurrence_id = db_session.scalar(select(Occurrence.id))
    later = START + timedelta(days=1)
    _write(db_session, source.id, [_event("a", start=later)])
    moved = db_session.scalars(select(Occurrence)).one()
    db_session.refresh(moved)
    assert (moved.id, moved.starts_at, moved.previous_starts_at) == (occurrence_id, later, START)


def test_highest_sequence_wins_among_duplicate_uids(db_session: Session, source: Source) -> None:
    newer = _event("a", "Gig (new time)", sequence=2)
    counts = _write(db_session, source.id, [newer, _event("a", "Gig (old)", sequence=1)])
    assert counts.found == 1
    assert db_session.scalar(select(Event.title)) == "Gig (new time)"


def test_cancelled_status_is_stored(db_session: Session, source: Source) -> None:
    _write(db_session, source.id, [_event("a")])
    _write(db_session, source.id, [replace(_event("a"), status=EventStatus.CANCELLED)])
    assert db_session.scalar(select(Event.status)) == "cancelled"


def test_removed_event_that_reappears_comes_back(db_session: Session, source: Source) -> None:
    _write(db_session, source.id, [_event("a")])
    remove_missing_events(db_session, source.id, [], WINDOW, NOW)
    counts = _write(db_session, source.id, [_event("a")])
    assert counts.updated == 1
    event = db_session.scalars(select(Event)).one()
    occurrence = db_session.scalars(select(Occurrence)).one()
    db_session.refresh(event)
    db_session.refresh(occurrence)
    assert (event.status, event.removed_at) == ("scheduled", None)
    assert (occurrence.status, occurrence.removed_at) == ("scheduled", None)


def test_cancelled_count_covers_cancelled_events_and_cancelled_instances(
    db_session: Session, source: Source
) -> None:
    week = timedelta(days=7)
    series = EventIn(
        external_id="open-mic",
        title="Open Mic",
        occurrences=(
            OccurrenceIn("1", START, START, False, "UTC"),
            OccurrenceIn("2", START + week, START + week, False, "UTC", EventStatus.CANCELLED),
            OccurrenceIn("3", START + 2 * week, START + 2 * week, False, "UTC"),
        ),
    )
    called_off = replace(_event("visiting-band"), status=EventStatus.CANCELLED)
    counts = _write(db_session, source.id, [series, called_off, _event("jam")])
    assert counts.cancelled == 2


def test_an_occurrence_listed_twice_is_stored_once(db_session: Session, source: Source) -> None:
    twice = _event("a")
    later = replace(twice.occurrences[0], starts_at=START + timedelta(hours=1))
    _write(db_session, source.id, [replace(twice, occurrences=(twice.occurrences[0], later))])
    assert db_session.scalars(select(Occurrence.starts_at)).all() == [later.starts_at]


def test_a_large_feed_takes_a_few_statements_not_one_per_event(
    connection: Connection, db_session: Session, source: Source
) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    events = [_event(f"gig-{n}", start=START + timedelta(hours=n)) for n in range(2500)]
    listen(connection, "before_cursor_execute", count)
    try:
        _write(db_session, source.id, events)
        created = len(statements)
        statements.clear()
        _write(db_session, source.id, [replace(e, title="Gig (sold out)") for e in events])
        updated = len(statements)
    finally:
        remove(connection, "before_cursor_execute", count)
    assert db_session.scalar(select(func.count()).where(Event.title == "Gig (sold out)")) == 2500
    # three batches of 1000: a SELECT, then an INSERT of events and one of occurrences
    assert created <= 3 * 3
    # three batches: a SELECT and an UPDATE; the occurrences did not change
    assert updated <= 3 * 2


def test_instance_keeps_its_own_title_and_follows_the_feed(
    db_session: Session, source: Source
) -> None:
    moved = replace(_event("a").occurrences[0], title="Gig (moved to Friday)")
    _write(db_session, source.id, [replace(_event("a"), occurrences=(moved,))])
    assert db_session.scalar(select(Occurrence.title)) == "Gig (moved to Friday)"
    retitled = replace(moved, title="Gig (moved to Saturday)")
    counts = _write(db_session, source.id, [replace(_event("a"), occurrences=(retitled,))])
    assert counts.updated == 1
    assert db_session.scalar(select(Occurrence.title)) == "Gig (moved to Saturday)"


def test_event_stored_without_input_hash_gets_one_once_without_an_update(
    db_session: Session, source: Source
) -> None:
    _write(db_session, source.id, [_event("a")])
    db_session.execute(text("UPDATE events SET input_hash = NULL"))
    db_session.commit()
    counts = _write(db_session, source.id, [_event("a")])
    assert (counts.updated, counts.unchanged) == (0, 1)
    event = db_session.scalars(select(Event)).one()
    db_session.refresh(event)
    assert event.input_hash is not None
    assert event.sequence == 0
    db_session.commit()
    before = _xmins(db_session)
    _write(db_session, source.id, [_event("a")])
    assert _xmins(db_session) == before


def test_new_events_keep_every_field_and_occurrence(db_session: Session, source: Source) -> None:
    week = timedelta(days=7)
    full = EventIn(
        external_id="quartet",
        title="Quartet",
        description="Strings\\tand\\nmore",
        url="https://x.example/q",
        image_url="https://x.example/q.jpg",
        location_text="Hall",
        categories=("Music", "Classical"),
        price="$10",
        status=EventStatus.CANCELLED,
        occurrences=(
            OccurrenceIn("1", START, None, False, "UTC"),
            OccurrenceIn("2", START + week, START + week, True, "Europe/Berlin", title="Matinee"),
        ),
    )
    _write(db_session, source.id, [full])
    event = db_session.scalars(select(Event)).one()
    assert (event.title, event.description, event.url, event.image_url) == (
        "Quartet",
        "Strings\\tand\\nmore",
        "https://x.example/q",
        "https://x.example/q.jpg",
    )
    assert (event.location_text, event.categories, event.price, event.status) == (
        "Hall",
        ["Music", "Classical"],
        "$10",
        "cancelled",
    )
    rows = db_session.execute(
        select(
            Occurrence.recurrence_key,
            Occurrence.starts_at,
            Occurrence.ends_at,
            Occurrence.all_day,
            Occurrence.timezone,
            Occurrence.title,
        ).order_by(Occurrence.recurrence_key)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("1", START, START, False, "UTC", None),
        ("2", START + week, START + week, True, "Europe/Berlin", "Matinee"),
    ]


def test_changes_written_again_and_again_on_one_connection(
    db_session: Session, source: Source
) -> None:
    """Staging tables are made anew each time; statements prepared for the last ones still run."""
    for n in range(8):
        counts = _write(db_session, source.id, [_event("a", f"Gig {n}", START + n * HOUR)])
        assert counts.updated == (n > 0)
    occurrence = db_session.scalars(select(Occurrence)).one()
    db_session.refresh(occurrence)
    assert (occurrence.starts_at, occurrence.previous_starts_at) == (
        START + 7 * HOUR,
        START + 6 * HOUR,
    )
