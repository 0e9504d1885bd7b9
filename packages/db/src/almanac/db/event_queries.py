"""Reading events: occurrences in a window, filtered, and one event with all it has.

An occurrence's status as people see it combines its own and its event's
(`shown_status`): removed when it was removed, or its event was while it
had not yet ended; else cancelled or postponed when either says so.

"Free" is read from the price text, which the scrapers fill from a page's
price or its offers (a price of 0 or `isAccessibleForFree` becomes "Free"):
an event is free when its price is "free", "gratis", "no charge" or "no
cover" (followed by anything without a digit, such as "Free admission"), or
an amount of zero ("$0", "0.00 EUR"). An event without a price is not free:
nobody said so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from almanac.db.models import SEARCH_CONFIG, Event, Occurrence, OccurrenceMove, Source, Venue

STATUSES = ("scheduled", "cancelled", "postponed", "removed")
SHOWN_BY_DEFAULT = ("scheduled", "cancelled", "postponed")


def search_document() -> ColumnElement[object]:
    """The tsvector `q` searches: title and description (the index is on this expression)."""
    return func.to_tsvector(
        literal_column(f"'{SEARCH_CONFIG}'::regconfig"),
        Event.title + " " + func.coalesce(Event.description, ""),
    )


def shown_status() -> ColumnElement[str]:
    """The occurrence's status as people see it, from its own and its event's."""
    return case(
        (
            or_(
                Occurrence.status == "removed",
                and_(
                    Event.status == "removed",
                    Occurrence.ends_at > func.coalesce(Event.removed_at, literal_column("now()")),
                ),
            ),
            "removed",
        ),
        (or_(Occurrence.status == "cancelled", Event.status == "cancelled"), "cancelled"),
        (or_(Occurrence.status == "postponed", Event.status == "postponed"), "postponed"),
        else_="scheduled",
    )


def last_changed() -> ColumnElement[datetime]:
    """When the occurrence or its event last changed."""
    return func.greatest(Occurrence.updated_at, Event.updated_at)


def status_since() -> ColumnElement[datetime]:
    """When a removed occurrence was removed; for others, when it or its event last changed.

    A cancelled occurrence was cancelled then or before: its cancellation was
    itself a change.
    """
    return case(
        (
            shown_status() == "removed",
            func.coalesce(Occurrence.removed_at, Event.removed_at, last_changed()),
        ),
        else_=last_changed(),
    )


_FREE_WORDS = r"^\s*(free|gratis|no charge|no cover)\M[^0-9]*$"
_ZERO_AMOUNT = r"^\s*[^0-9\s]{0,3}\s*0+([.,]0+)?\s*[a-z]{0,3}\s*$"


def is_free() -> ColumnElement[bool]:
    """Whether the event's price says it is free (see the module's rule)."""
    return func.coalesce(
        or_(
            Event.price.regexp_match(_FREE_WORDS, "i"), Event.price.regexp_match(_ZERO_AMOUNT, "i")
        ),
        False,
    )


@dataclass(frozen=True, slots=True)
class OccurrenceFilters:
    """What a list of occurrences, or a feed, is narrowed to. Empty sequences do not narrow."""

    start: datetime
    end: datetime
    source_ids: Sequence[int] = ()
    venue_ids: Sequence[int] = ()
    categories: Sequence[str] = ()
    """Matched without regard to case; any one of them will do."""
    statuses: Sequence[str] = SHOWN_BY_DEFAULT
    free: bool | None = None
    query: str | None = None
    """Words to find in the title and description (`websearch_to_tsquery` syntax)."""
    ended_since: datetime | None = None
    """Leave out occurrences cancelled or removed before this moment."""


@dataclass(frozen=True, slots=True)
class OccurrenceRow:
    """An occurrence with its event, as a list or a feed shows it."""

    occurrence: Occurrence
    event: Event
    source_slug: str
    source_name: str
    venue: Venue | None
    status: str
    free: bool
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class FeedVersion:
    """What tells one state of a feed's rows from another, read without the rows."""

    count: int
    last_changed: datetime | None
    id_sum: int
    sequence_sum: int
    """Every change to an event raises its sequence, even two within one transaction."""


def occurrences_query(columns: Sequence[Any], filters: OccurrenceFilters) -> Select[Any]:
    query = (
        select(*columns)
        .select_from(Occurrence)
        .join(Event, Occurrence.event_id == Event.id)
        .join(Source, Event.source_id == Source.id)
        .outerjoin(Venue, Event.venue_id == Venue.id)
        .where(
            Occurrence.starts_at < filters.end,
            or_(Occurrence.ends_at > filters.start, Occurrence.starts_at >= filters.start),
            shown_status().in_(list(filters.statuses)),
        )
    )
    if filters.source_ids:
        query = query.where(Event.source_id.in_(list(filters.source_ids)))
    if filters.venue_ids:
        query = query.where(Event.venue_id.in_(list(filters.venue_ids)))
    if filters.categories:
        wanted = [c.lower() for c in filters.categories]
        category = func.unnest(Event.categories).column_valued("category")
        query = query.where(exists(select(1).where(func.lower(category).in_(wanted))))
    if filters.free is not None:
        query = query.where(is_free() if filters.free else ~is_free())
    if filters.query:
        terms = func.websearch_to_tsquery(
            literal_column(f"'{SEARCH_CONFIG}'::regconfig"), filters.query
        )
        query = query.where(search_document().op("@@")(terms))
    if filters.ended_since is not None:
        query = query.where(
            or_(
                shown_status().in_(["scheduled", "postponed"]),
                status_since() >= filters.ended_since,
            )
        )
    return query


def list_occurrences(
    session: Session,
    filters: OccurrenceFilters,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> list[OccurrenceRow]:
    """Occurrences matching `filters`, by start (then id), after the keyset `after`."""
    query = list_query(filters, after=after, limit=limit)
    return [OccurrenceRow(*row) for row in session.execute(query).all()]


def list_query(
    filters: OccurrenceFilters,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> Select[Any]:
    """The statement `list_occurrences` runs (so its plan can be looked at).

    With a limit, the page's occurrences are found first in two parts that each
    stop early: those starting in the window, read in order from the index on
    the start, and those already running when it opens, from the index of what
    runs at a moment (`running_at`). A scan of the start index alone could not
    stop early: it would read everything that started before the window to find
    what is still running.
    """
    query = occurrences_query(
        (
            Occurrence,
            Event,
            Source.slug,
            Source.name,
            Venue,
            shown_status(),
            is_free(),
            last_changed(),
        ),
        filters,
    ).order_by(Occurrence.starts_at, Occurrence.id)
    if after is not None:
        query = query.where(tuple_(Occurrence.starts_at, Occurrence.id) > after)
    if limit is not None:
        page = _page_ids(filters, after, limit)
        query = query.where(Occurrence.id.in_(select(page.c.id))).limit(limit)
    return query


def running_at(moment: datetime) -> ColumnElement[bool]:
    """Started before `moment` and ends after it; the `ix_occurrences_running` index's test."""
    running = func.tstzrange(
        Occurrence.starts_at,
        func.greatest(Occurrence.starts_at, Occurrence.ends_at),
        literal_column("'()'"),
    )
    return running.op("@>")(moment)


def _page_ids(
    filters: OccurrenceFilters, after: tuple[datetime, int] | None, limit: int
) -> Subquery:
    """The ids of the page's occurrences: at most `limit` of each part, by start."""

    def part(*window: ColumnElement[bool]) -> Select[Any]:
        query = occurrences_query((Occurrence.id, Occurrence.starts_at), filters).where(*window)
        if after is not None:
            query = query.where(tuple_(Occurrence.starts_at, Occurrence.id) > after)
        return query.order_by(Occurrence.starts_at, Occurrence.id).limit(limit)

    starting = part(Occurrence.starts_at >= filters.start)
    running = part(running_at(filters.start))
    return union_all(starting, running).subquery("page")


def feed_version(session: Session, filters: OccurrenceFilters) -> FeedVersion:
    """How many rows `filters` gives, when the latest of them changed, sums of ids and sequences.

    One aggregate over the same rows as `list_occurrences`, without reading them.
    """
    query = occurrences_query(
        (
            func.count(),
            func.max(last_changed()),
            func.coalesce(func.sum(Occurrence.id), 0),
            func.coalesce(func.sum(Event.sequence), 0),
        ),
        filters,
    )
    count, changed, id_sum, sequence_sum = session.execute(query).one()
    return FeedVersion(int(count), changed, int(id_sum), int(sequence_sum))


@dataclass(frozen=True, slots=True)
class EventDetail:
    """One event with its source, venue, and every occurrence stored for it."""

    event: Event
    source: Source
    venue: Venue | None
    free: bool
    occurrences: list[tuple[Occurrence, str]]
    """Each occurrence, by start, with its status as people see it."""
    moves: list[OccurrenceMove]
    """Every move of its occurrences, oldest first."""


def event_detail(session: Session, event_id: int) -> EventDetail | None:
    """The event with this id and all it has, or None."""
    found = session.execute(
        select(Event, Source, Venue, is_free())
        .join(Source, Event.source_id == Source.id)
        .outerjoin(Venue, Event.venue_id == Venue.id)
        .where(Event.id == event_id)
    ).one_or_none()
    if found is None:
        return None
    event, source, venue, free = found
    occurrences = session.execute(
        select(Occurrence, shown_status())
        .join(Event, Occurrence.event_id == Event.id)
        .where(Occurrence.event_id == event_id)
        .order_by(Occurrence.starts_at, Occurrence.id)
    ).all()
    moves = session.scalars(
        select(OccurrenceMove)
        .join(Occurrence, OccurrenceMove.occurrence_id == Occurrence.id)
        .where(Occurrence.event_id == event_id)
        .order_by(OccurrenceMove.moved_at, OccurrenceMove.id)
    ).all()
    return EventDetail(
        event, source, venue, bool(free), [(o, s) for o, s in occurrences], list(moves)
    )


def ids_of_slugs(
    session: Session, model: type[Source] | type[Venue], slugs: Sequence[str]
) -> dict[str, int]:
    """The ids of the sources or venues with these slugs; unknown slugs are missing."""
    if not slugs:
        return {}
    rows = session.execute(select(model.slug, model.id).where(model.slug.in_(list(slugs))))
    return {slug: id_ for slug, id_ in rows}
