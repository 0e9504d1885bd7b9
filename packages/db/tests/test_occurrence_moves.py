"""Every move of an occurrence is kept, with where it started before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, OccurrenceIn
from almanac.db.event_writes import WritePlan, write_events
from almanac.db.models import Occurrence, OccurrenceMove, Source
from almanac.db.window import Window

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
START = datetime(2026, 12, 3, 19, tzinfo=UTC)
HOUR = timedelta(hours=1)
WINDOW = Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2027, 11, 22, tzinfo=UTC))


def _write(
    session: Session, source: Source, start: datetime, title: str = "Gig", hours: int = 2
) -> None:
    occurrence = OccurrenceIn("single", start, start + hours * HOUR, False, "UTC")
    event = EventIn(external_id="gig", title=title, occurrences=(occurrence,))
    write_events(session, source.id, [event], WritePlan(WINDOW, NOW))


def _moves(session: Session) -> list[tuple[int, datetime, datetime]]:
    rows = session.scalars(select(OccurrenceMove).order_by(OccurrenceMove.id))
    return [(m.occurrence_id, m.previous_starts_at, m.starts_at) for m in rows]


def test_each_move_is_kept_in_order(db_session: Session, source: Source) -> None:
    _write(db_session, source, START)
    occurrence_id = db_session.scalars(select(Occurrence.id)).one()
    _write(db_session, source, START + HOUR)
    _write(db_session, source, START + 3 * HOUR)
    assert _moves(db_session) == [
        (occurrence_id, START, START + HOUR),
        (occurrence_id, START + HOUR, START + 3 * HOUR),
    ]


def test_a_change_that_is_no_move_keeps_no_move(db_session: Session, source: Source) -> None:
    _write(db_session, source, START)
    _write(db_session, source, START, title="Gig (sold out)")
    _write(db_session, source, START, title="Gig (sold out)", hours=4)
    stored = db_session.scalars(select(Occurrence)).one()
    db_session.refresh(stored)
    assert stored.ends_at == START + 4 * HOUR
    assert _moves(db_session) == []
