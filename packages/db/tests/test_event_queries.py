"""Reading events back: the word search stems and is served by its index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from almanac.db.event_queries import OccurrenceFilters, list_occurrences, occurrences_query
from almanac.db.models import Event, Occurrence, Source

START = datetime(2026, 12, 3, 19, tzinfo=UTC)
WINDOW = OccurrenceFilters(START - timedelta(days=1), START + timedelta(days=30))


def _event(
    session: Session,
    source: Source,
    title: str,
    description: str | None,
    starts: datetime = START,
    ends: datetime | None = None,
) -> None:
    event = Event(
        source_id=source.id,
        external_id=title,
        title=title,
        description=description,
        content_hash="x",
        schedule_hash="x",
    )
    session.add(event)
    session.flush()
    session.add(
        Occurrence(
            event_id=event.id,
            recurrence_key="single",
            starts_at=starts,
            ends_at=ends or starts + timedelta(hours=2),
            timezone="UTC",
            content_hash="x",
        )
    )
    session.flush()


def test_a_page_holds_what_runs_when_the_window_opens_short_or_long(
    db_session: Session, source: Source
) -> None:
    hours, days = timedelta(hours=1), timedelta(days=1)
    for title, starts, ends in [
        ("Exhibition", START - 20 * days, START + 10 * days),
        ("Weekend festival", START - 30 * hours, START + 5 * hours),
        ("A day exactly", START - 23 * hours, START + hours),
        ("Late show", START - 2 * hours, START + hours),
        ("Over", START - 3 * hours, START - hours),
        ("Long gone", START - 40 * days, START - days),
        ("Tomorrow", START + days, START + days + 2 * hours),
    ]:
        _event(db_session, source, title, None, starts, ends)
    window = OccurrenceFilters(START, START + 30 * days)
    for limit in (None, 2, 50):
        titles = [row.event.title for row in list_occurrences(db_session, window, limit=limit)]
        expected = ["Exhibition", "Weekend festival", "A day exactly", "Late show", "Tomorrow"]
        assert titles == expected[:limit]


def _prepared_lists(session: Session) -> int:
    """Statements reading occurrences that are prepared on the session's connection."""
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM pg_prepared_statements"
                " WHERE statement LIKE '%FROM occurrences%'"
            )
        ).scalar_one()
    )


def test_a_plain_windows_page_is_prepared_once_and_a_filtered_one_never(
    db_session: Session, source: Source
) -> None:
    _event(db_session, source, "Fiddle night", None)
    before = _prepared_lists(db_session)
    # A filtered page needs a plan made for its values: never prepared, however often.
    narrowed = OccurrenceFilters(WINDOW.start, WINDOW.end, source_ids=[source.id])
    for _ in range(8):
        assert len(list_occurrences(db_session, narrowed, limit=50)) == 1
    assert _prepared_lists(db_session) == before
    # A plain window's page is prepared as it first runs, and once only.
    for _ in range(3):
        assert len(list_occurrences(db_session, WINDOW, limit=50)) == 1
    assert _prepared_lists(db_session) == before + 1


def _found(session: Session, words: str) -> list[str]:
    filters = OccurrenceFilters(WINDOW.start, WINDOW.end, query=words)
    return [row.event.title for row in list_occurrences(session, filters)]


def test_words_are_found_stemmed_in_title_and_description_but_not_in_markup(
    db_session: Session, source: Source
) -> None:
    _event(db_session, source, "Singers' night", '<p class="dancing">Choirs <em>welcome</em></p>')
    _event(db_session, source, "Concerts", None)
    assert _found(db_session, "singer") == ["Singers' night"]
    assert _found(db_session, "choir welcomed") == ["Singers' night"]
    assert _found(db_session, "concert") == ["Concerts"]
    assert _found(db_session, "dancing") == []
    assert _found(db_session, "em") == []


def test_the_word_search_uses_its_index(db_session: Session) -> None:
    query = occurrences_query(
        (Occurrence.id,), OccurrenceFilters(WINDOW.start, WINDOW.end, query="jazz")
    )
    sql = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    db_session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db_session.scalars(text(f"EXPLAIN {sql}")))
    assert "ix_events_search" in plan
