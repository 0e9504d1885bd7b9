"""An event's sequence, which calendar feeds export as SEQUENCE, grows with every change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn
from almanac.db.event_removals import remove_missing_events
from almanac.db.event_writes import WritePlan, write_events
from almanac.db.models import Event, Source
from almanac.db.window import Window

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
START = datetime(2026, 12, 3, 19, tzinfo=UTC)
WEEK = timedelta(days=7)
WINDOW = Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2027, 11, 22, tzinfo=UTC))


def _series(*starts: datetime, status: EventStatus = EventStatus.SCHEDULED) -> EventIn:
    occurrences = tuple(
        OccurrenceIn(f"{n}", start, start + timedelta(hours=2), False, "UTC")
        for n, start in enumerate(starts)
    )
    return EventIn(
        external_id="open-mic",
        title="Open Mic",
        description="<p>Bring a song</p>",
        categories=("Music",),
        occurrences=occurrences,
        status=status,
    )


ORIGINAL = _series(START, START + WEEK)


def _cancel_second(event: EventIn) -> EventIn:
    second = replace(event.occurrences[1], status=EventStatus.CANCELLED)
    return replace(event, occurrences=(event.occurrences[0], second))


CHANGES: dict[str, Callable[[EventIn], EventIn]] = {
    "retitled": lambda e: replace(e, title="Open Mic (new host)"),
    "described anew": lambda e: replace(e, description="<p>Bring two songs</p>"),
    "recategorized": lambda e: replace(e, categories=("Music", "Comedy")),
    "priced": lambda e: replace(e, price="$5"),
    "cancelled": lambda e: replace(e, status=EventStatus.CANCELLED),
    "moved": lambda e: _series(START + timedelta(hours=1), START + WEEK),
    "one instance cancelled": _cancel_second,
    "one instance more": lambda e: _series(START, START + WEEK, START + 2 * WEEK),
    "one instance fewer": lambda e: _series(START),
}


def _write(session: Session, source: Source, event: EventIn) -> int:
    write_events(session, source.id, [event], WritePlan(WINDOW, NOW))
    stored = session.scalars(select(Event)).one()
    session.refresh(stored)
    return stored.sequence


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_change_people_would_see_raises_the_sequence(
    db_session: Session, source: Source, change: str
) -> None:
    before = _write(db_session, source, ORIGINAL)
    after = _write(db_session, source, CHANGES[change](ORIGINAL))
    assert after == before + 1
    again = _write(db_session, source, CHANGES[change](ORIGINAL))
    assert again == after


def test_the_same_event_again_keeps_its_sequence(db_session: Session, source: Source) -> None:
    before = _write(db_session, source, ORIGINAL)
    assert _write(db_session, source, ORIGINAL) == before == 0


def test_removal_and_return_each_raise_the_sequence(db_session: Session, source: Source) -> None:
    _write(db_session, source, ORIGINAL)
    remove_missing_events(db_session, source.id, [], WINDOW, NOW)
    removed = db_session.scalars(select(Event)).one()
    db_session.refresh(removed)
    assert (removed.status, removed.sequence) == ("removed", 1)
    assert _write(db_session, source, ORIGINAL) == 2
