"""A changed event's occurrences: those gone from its set are removed only where the
parse could see them and they have not started; moving the window removes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, OccurrenceIn
from almanac.db.event_writes import WriteCounts, WritePlan, write_events
from almanac.db.models import Event, Occurrence, Source
from almanac.db.window import Window

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
DAY = timedelta(days=1)
WINDOW = Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def _weekly(*starts: datetime) -> EventIn:
    occurrences = tuple(
        OccurrenceIn(s.strftime("%Y%m%dT%H%M%SZ"), s, s + timedelta(hours=2), False, "UTC")
        for s in starts
    )
    return EventIn(external_id="open-mic", title="Open Mic", occurrences=occurrences)


def _write(session: Session, source: Source, event: EventIn, plan: WritePlan) -> WriteCounts:
    return write_events(session, source.id, [event], plan)


def _statuses(session: Session) -> dict[datetime, str]:
    rows = session.execute(select(Occurrence.starts_at, Occurrence.status))
    return {starts_at: status for starts_at, status in rows}


def _sequence(session: Session) -> int:
    return session.scalars(select(Event.sequence)).one()


FIRST, SECOND, THIRD = NOW + 2 * DAY, NOW + 9 * DAY, NOW + 16 * DAY


def test_upcoming_occurrence_gone_from_the_series_is_removed(
    db_session: Session, source: Source
) -> None:
    plan = WritePlan(WINDOW, NOW)
    _write(db_session, source, _weekly(FIRST, SECOND, THIRD), plan)
    counts = _write(db_session, source, _weekly(FIRST, THIRD), plan)
    assert _statuses(db_session) == {FIRST: "scheduled", SECOND: "removed", THIRD: "scheduled"}
    assert counts.updated == 1
    assert _sequence(db_session) == 1


def test_occurrence_that_has_started_stays_when_gone_from_the_series(
    db_session: Session, source: Source
) -> None:
    started = NOW - timedelta(hours=1)
    _write(db_session, source, _weekly(started, FIRST), WritePlan(WINDOW, NOW))
    _write(db_session, source, _weekly(FIRST), WritePlan(WINDOW, NOW))
    assert _statuses(db_session) == {started: "scheduled", FIRST: "scheduled"}


def test_occurrence_beyond_the_window_stays(db_session: Session, source: Source) -> None:
    beyond = WINDOW.end + DAY
    _write(
        db_session,
        source,
        _weekly(FIRST, beyond),
        WritePlan(Window(WINDOW.start, beyond + DAY), NOW),
    )
    _write(db_session, source, _weekly(FIRST), WritePlan(WINDOW, NOW))
    assert _statuses(db_session) == {FIRST: "scheduled", beyond: "scheduled"}


def test_moving_window_keeps_old_occurrences_and_adds_new_ones_without_an_update(
    db_session: Session, source: Source
) -> None:
    today = WritePlan(WINDOW, NOW)
    _write(db_session, source, _weekly(FIRST, SECOND), today)
    week_later = NOW + 7 * DAY
    moved = Window(WINDOW.start + 7 * DAY, WINDOW.end + 7 * DAY)
    fourth = WINDOW.end + 3 * DAY
    plan = WritePlan(moved, week_later, stored_window=WINDOW)
    counts = _write(db_session, source, _weekly(SECOND, fourth), plan)
    assert _statuses(db_session) == {FIRST: "scheduled", SECOND: "scheduled", fourth: "scheduled"}
    assert (counts.updated, counts.unchanged) == (0, 1)
    assert _sequence(db_session) == 0


def test_run_that_may_not_remove_leaves_gone_occurrences_to_the_next_healthy_run(
    db_session: Session, source: Source
) -> None:
    _write(db_session, source, _weekly(FIRST, SECOND, THIRD), WritePlan(WINDOW, NOW))
    held_back = WritePlan(WINDOW, NOW, remove_missing=False)
    _write(db_session, source, _weekly(FIRST, THIRD), held_back)
    assert _statuses(db_session)[SECOND] == "scheduled"
    _write(db_session, source, _weekly(FIRST, THIRD), WritePlan(WINDOW, NOW))
    assert _statuses(db_session)[SECOND] == "removed"


def test_occurrence_that_comes_back_is_scheduled_again(db_session: Session, source: Source) -> None:
    plan = WritePlan(WINDOW, NOW)
    _write(db_session, source, _weekly(FIRST, SECOND), plan)
    _write(db_session, source, _weekly(FIRST), plan)
    _write(db_session, source, _weekly(FIRST, SECOND), plan)
    assert _statuses(db_session) == {FIRST: "scheduled", SECOND: "scheduled"}
    assert db_session.scalar(select(func.count()).select_from(Occurrence)) == 2
