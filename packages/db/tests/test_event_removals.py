"""Events a complete, healthy run no longer finds: removed if upcoming, kept if past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, OccurrenceIn
from almanac.db.event_removals import remove_missing_events
from almanac.db.event_writes import WritePlan, write_events
from almanac.db.models import Event, Occurrence, Source
from almanac.db.window import Window

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
WINDOW = Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2027, 11, 22, tzinfo=UTC))
HOUR = timedelta(hours=1)


def _event(uid: str, *starts: datetime) -> EventIn:
    occurrences = tuple(
        OccurrenceIn(start.isoformat(), start, start + 2 * HOUR, False, "UTC") for start in starts
    )
    return EventIn(external_id=uid, title=uid.title(), occurrences=occurrences)


def _stored(session: Session, uid: str) -> Event:
    event = session.scalars(select(Event).where(Event.external_id == uid)).one()
    session.refresh(event)
    return event


def _occurrence_statuses(session: Session, uid: str) -> list[str]:
    query = (
        select(Occurrence.status)
        .join(Event)
        .where(Event.external_id == uid)
        .order_by(Occurrence.starts_at)
    )
    return list(session.scalars(query))


def _write(session: Session, source: Source, *events: EventIn) -> None:
    write_events(session, source.id, events, WritePlan(WINDOW, NOW))


def test_upcoming_event_missing_from_a_run_is_removed(db_session: Session, source: Source) -> None:
    _write(db_session, source, _event("gig", NOW + 48 * HOUR), _event("jam", NOW + 72 * HOUR))
    removed = remove_missing_events(db_session, source.id, ["gig"], WINDOW, NOW)
    jam = _stored(db_session, "jam")
    assert removed == 1
    assert (jam.status, jam.sequence) == ("removed", 1)
    assert jam.removed_at is not None
    assert _occurrence_statuses(db_session, "jam") == ["removed"]
    assert _stored(db_session, "gig").status == "scheduled"


def test_past_event_missing_from_a_run_is_kept(db_session: Session, source: Source) -> None:
    _write(db_session, source, _event("last-week", NOW - 7 * 24 * HOUR))
    removed = remove_missing_events(db_session, source.id, [], WINDOW, NOW)
    assert removed == 0
    assert _stored(db_session, "last-week").status == "scheduled"
    assert _occurrence_statuses(db_session, "last-week") == ["scheduled"]


def test_event_still_going_on_counts_as_upcoming(db_session: Session, source: Source) -> None:
    _write(db_session, source, _event("matinee", NOW - HOUR))
    assert remove_missing_events(db_session, source.id, [], WINDOW, NOW) == 1
    assert _stored(db_session, "matinee").status == "removed"


def test_ended_occurrences_of_a_removed_event_stay_as_they_were(
    db_session: Session, source: Source
) -> None:
    _write(db_session, source, _event("open-mic", NOW - 7 * 24 * HOUR, NOW + 7 * 24 * HOUR))
    remove_missing_events(db_session, source.id, [], WINDOW, NOW)
    assert _occurrence_statuses(db_session, "open-mic") == ["scheduled", "removed"]


def test_removing_again_changes_nothing(db_session: Session, source: Source) -> None:
    _write(db_session, source, _event("jam", NOW + 72 * HOUR))
    remove_missing_events(db_session, source.id, [], WINDOW, NOW)
    assert remove_missing_events(db_session, source.id, [], WINDOW, NOW) == 0
    assert _stored(db_session, "jam").sequence == 1


def test_other_sources_keep_their_events(db_session: Session, source: Source) -> None:
    other = Source(slug="jazz-bar", name="Jazz Bar", kind="ical", url="https://y.example/b.ics")
    db_session.add(other)
    db_session.flush()
    _write(db_session, other, _event("jam", NOW + 72 * HOUR))
    assert remove_missing_events(db_session, source.id, [], WINDOW, NOW) == 0
    assert _stored(db_session, "jam").status == "scheduled"


def test_event_beyond_the_window_is_kept(db_session: Session, source: Source) -> None:
    far = WINDOW.end + 30 * 24 * HOUR
    write_events(db_session, source.id, [_event("next-year", far)], WritePlan(WINDOW, NOW))
    shorter = Window(WINDOW.start, NOW + 30 * 24 * HOUR)
    assert remove_missing_events(db_session, source.id, [], shorter, NOW) == 0
    assert _stored(db_session, "next-year").status == "scheduled"
