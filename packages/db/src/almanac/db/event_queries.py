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
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from almanac.db.driver import fetch_rows
from almanac.db.models import SEARCH_CONFIG, Event, Occurrence, OccurrenceMove, Source, Venue

STATUSES = ("scheduled", "cancelled", "postponed", "removed")
SHOWN_BY_DEFAULT = ("scheduled", "cancelled", "postponed")
_PLAIN_STATUSES = (frozenset(SHOWN_BY_DEFAULT), frozenset(STATUSES))


def search_document() -> ColumnElement[object]:
    """The tsvector `q` searches: title and description (the index is on this expression)."""
    return func.to_tsvector(
        literal_column(f"'{SEARCH_CONFIG}'::regconfig"),
        Event.title + " " + func.coalesce(Event.description, ""),
    )


def _removed() -> ColumnElement[bool]:
    """Removed itself, or its event was removed while it had not yet ended."""
    return or_(
        Occurrence.status == "removed",
        and_(
            Event.status == "removed",
            Occurrence.ends_at > func.coalesce(Event.removed_at, literal_column("now()")),
        ),
    )


def _either(status: str) -> ColumnElement[bool]:
    return or_(Occurrence.status == status, Event.status == status)


def shown_status() -> ColumnElement[str]:
    """The occurrence's status as people see it, from its own and its event's."""
    return case(
        (_removed(), "removed"),
        (_either("cancelled"), "cancelled"),
        (_either("postponed"), "postponed"),
        else_="scheduled",
    )


def shown_status_in(statuses: Sequence[str]) -> ColumnElement[bool]:
    """The test that `shown_status()` is one of `statuses`.

    Written as plain conditions on the columns rather than on the `CASE`, whose
    selectivity PostgreSQL cannot estimate: misjudged, it would give up the
    early-stopping scan of the start index for a sort of the whole window.
    """
    wanted = set(statuses)
    if wanted >= set(STATUSES):
        return true()
    removed = _removed()
    cancelled = and_(~removed, _either("cancelled"))
    postponed = and_(~removed, ~_either("cancelled"), _either("postponed"))
    if wanted == set(SHOWN_BY_DEFAULT):
        return ~removed
    tests = {
        "removed": removed,
        "cancelled": cancelled,
        "postponed": postponed,
        "scheduled": and_(~removed, ~_either("cancelled"), ~_either("postponed")),
    }
    return or_(*(tests[status] for status in STATUSES if status in wanted))


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


class ListedOccurrence(NamedTuple):
    """The columns of an occurrence that a list shows (named as `Occurrence`'s)."""

    id: int
    recurrence_key: str
    title: str | None
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    timezone: str
    previous_starts_at: datetime | None


class ListedEvent(NamedTuple):
    """The columns of an event that a list shows (named as `Event`'s)."""

    id: int
    external_id: str
    title: str
    description: str | None
    url: str | None
    image_url: str | None
    location_text: str | None
    categories: list[str]
    price: str | None
    status: str
    sequence: int


class ListedVenue(NamedTuple):
    """The columns of a venue that a list shows (named as `Venue`'s)."""

    slug: str
    name: str
    address: str | None
    url: str | None


class OccurrenceRow(NamedTuple):
    """An occurrence with its event, as a list shows it: plain columns, no ORM objects,
    which would cost more to load than the query takes."""

    occurrence: ListedOccurrence
    event: ListedEvent
    source_slug: str
    source_name: str
    venue: ListedVenue | None
    status: str
    free: bool
    changed_at: datetime

    @classmethod
    def of(cls, row: Sequence[Any]) -> OccurrenceRow:
        values = tuple(row)  # slices of a plain tuple cost a tenth of a result row's
        o, e, v = _OCCURRENCE_END, _EVENT_END, _VENUE_END
        venue = ListedVenue._make(values[e:v]) if values[e] is not None else None
        return cls(
            ListedOccurrence._make(values[:o]),
            ListedEvent._make(values[o:e]),
            values[v],
            values[v + 1],
            venue,
            values[v + 2],
            values[v + 3],
            values[v + 4],
        )


_OCCURRENCE_END = len(ListedOccurrence._fields)
_EVENT_END = _OCCURRENCE_END + len(ListedEvent._fields)
_VENUE_END = _EVENT_END + len(ListedVenue._fields)


_LISTED_COLUMNS = (
    *(getattr(Occurrence, name) for name in ListedOccurrence._fields),
    *(getattr(Event, name) for name in ListedEvent._fields),
    *(getattr(Venue, name) for name in ListedVenue._fields),
    Source.slug,
    Source.name,
)


class FeedRow(NamedTuple):
    """An occurrence as a calendar feed writes it: plain columns, no ORM objects.

    A feed holds thousands of rows, and loading each as mapped objects would
    cost more than the query.
    """

    occurrence_id: int
    first_seen_at: datetime
    occurrence_title: str | None
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    timezone: str
    event_id: int
    title: str
    description: str | None
    price: str | None
    url: str | None
    categories: list[str]
    location_text: str | None
    sequence: int
    venue_name: str | None
    venue_address: str | None
    status: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class FeedVersion:
    """What tells one state of a feed's rows from another, read without the rows."""

    count: int
    last_changed: datetime | None
    id_sum: int
    sequence_sum: int
    """Every change to an event raises its sequence, even two within one transaction."""


@dataclass(frozen=True, slots=True)
class _Shape:
    """Which filters a statement has: statements of one shape differ only in their values.

    Building a statement of this size costs more than PostgreSQL takes to run
    it, so each shape is built once, with bound parameters, and kept.
    """

    statuses: frozenset[str]
    sources: bool = False
    venues: bool = False
    categories: bool = False
    free: bool | None = None
    query: bool = False
    ended_since: bool = False
    after: bool = False
    limit: bool = False

    @property
    def plans_alike(self) -> bool:
        """Whether one plan of the shape's statement serves every value of its parameters.

        So it is for a plain window, paged or not, narrowed by nothing but the
        default statuses (or none): its page is read in order from the start index
        whatever the window. A narrower filter (a source, a search) may select
        nothing in one window and everything in another, and needs a plan made for
        its values.
        """
        return self.statuses in _PLAIN_STATUSES and not (
            self.sources
            or self.venues
            or self.categories
            or self.free is not None
            or self.query
            or self.ended_since
        )

    @classmethod
    def of(
        cls, filters: OccurrenceFilters, after: object = None, limit: int | None = None
    ) -> _Shape:
        return cls(
            statuses=frozenset(filters.statuses),
            sources=bool(filters.source_ids),
            venues=bool(filters.venue_ids),
            categories=bool(filters.categories),
            free=filters.free,
            query=bool(filters.query),
            ended_since=filters.ended_since is not None,
            after=after is not None,
            limit=limit is not None,
        )


def _values(
    filters: OccurrenceFilters,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """The values of a statement's bound parameters (those of its shape)."""
    values: dict[str, Any] = {"start": filters.start, "end": filters.end}
    if filters.source_ids:
        values["source_ids"] = list(filters.source_ids)
    if filters.venue_ids:
        values["venue_ids"] = list(filters.venue_ids)
    if filters.categories:
        values["categories"] = [c.lower() for c in filters.categories]
    if filters.query:
        values["query"] = filters.query
    if filters.ended_since is not None:
        values["ended_since"] = filters.ended_since
    if after is not None:
        values["after_start"], values["after_id"] = after
    if limit is not None:
        values["limit"] = limit
    return values


_MOMENT = DateTime(timezone=True)
_IDS = ARRAY(Integer)
_START = bindparam("start", type_=_MOMENT)
_LIMIT = bindparam("limit", type_=Integer)


def _filtered(columns: Sequence[Any], shape: _Shape, *, named: bool = True) -> Select[Any]:
    """`columns` of the occurrences (with their events) that a shape's filters select;
    `named` joins their sources and venues too, for columns of theirs."""
    query = (
        select(*columns)
        .select_from(Occurrence)
        .join(Event, Occurrence.event_id == Event.id)
        .where(
            Occurrence.starts_at < bindparam("end", type_=_MOMENT),
            or_(Occurrence.ends_at > _START, Occurrence.starts_at >= _START),
        )
    )
    if not shape.statuses >= set(STATUSES):
        query = query.where(shown_status_in(sorted(shape.statuses)))
    # Lists are bound as one array each (`= ANY`), so that every statement of a shape
    # has one text, which `list_occurrences` compiles once.
    if shape.sources:
        query = query.where(Event.source_id == any_(bindparam("source_ids", type_=_IDS)))
    if shape.venues:
        query = query.where(Event.venue_id == any_(bindparam("venue_ids", type_=_IDS)))
    if shape.categories:
        category = func.unnest(Event.categories).column_valued("category")
        wanted = bindparam("categories", type_=ARRAY(String))
        query = query.where(exists(select(1).where(func.lower(category) == any_(wanted))))
    if shape.free is not None:
        query = query.where(is_free() if shape.free else ~is_free())
    if shape.query:
        terms = func.websearch_to_tsquery(
            literal_column(f"'{SEARCH_CONFIG}'::regconfig"), bindparam("query", type_=String)
        )
        query = query.where(search_document().op("@@")(terms))
    if shape.ended_since:
        query = query.where(
            or_(
                shown_status_in(["scheduled", "postponed"]),
                status_since() >= bindparam("ended_since", type_=_MOMENT),
            )
        )
    if shape.after:
        after = tuple_(bindparam("after_start", type_=_MOMENT), bindparam("after_id"))
        query = query.where(tuple_(Occurrence.starts_at, Occurrence.id) > after)
    return _named(query) if named else query


def _named(query: Select[Any]) -> Select[Any]:
    return query.join(Source, Event.source_id == Source.id).outerjoin(
        Venue, Event.venue_id == Venue.id
    )


def occurrences_query(columns: Sequence[Any], filters: OccurrenceFilters) -> Select[Any]:
    """`columns` of the occurrences `filters` selects, with its values bound."""
    return _filtered(columns, _Shape.of(filters)).params(_values(filters))


def list_occurrences(
    db: Session | Connection,
    filters: OccurrenceFilters,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> list[OccurrenceRow]:
    """Occurrences matching `filters`, by start (then id), after the keyset `after`.

    The statement of a plain window is prepared on the connection, to be planned
    once there (see `_Shape.plans_alike`); any other is planned for its values.
    """
    connection = db.connection() if isinstance(db, Session) else db
    shape = _Shape.of(filters, after, limit)
    sql, constants = _list_sql(shape, connection.dialect)
    # The driver's rows are plain tuples of the columns it has already typed, with
    # none of a result's machinery (a fifth of what the API spends on a page).
    params = constants | _values(filters, after, limit)
    rows = fetch_rows(connection, sql, params, prepare=shape.plans_alike)
    return [OccurrenceRow.of(row) for row in rows]


@lru_cache(maxsize=256)
def _list_sql(shape: _Shape, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """The text of the list's statement for one shape, and the values of its constants."""
    compiled = _list_statement(shape).compile(dialect=dialect)
    return str(compiled), dict(compiled.params)


def list_query(
    filters: OccurrenceFilters,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> Select[Any]:
    """The statement `list_occurrences` runs, with its values bound (to look at its plan)."""
    return _list_statement(_Shape.of(filters, after, limit)).params(_values(filters, after, limit))


@lru_cache(maxsize=256)
def _list_statement(shape: _Shape) -> Select[Any]:
    """The list's statement for one shape of filters.

    With a limit, the page's occurrences are chosen first, by id and start
    alone, in parts that each stop early (`_page_candidates`); only the page's
    own rows are then joined to their events, sources and venues. A scan of the
    start index alone could not stop early: it would read everything that
    started before the window to find what is still running.
    """
    columns = (*_LISTED_COLUMNS, shown_status(), is_free(), last_changed())
    if not shape.limit:
        return _filtered(columns, shape).order_by(Occurrence.starts_at, Occurrence.id)
    # The candidates already meet every filter: the page is the first of them.
    candidates = _page_candidates(shape)
    page = (
        select(candidates.c.id)
        .order_by(candidates.c.starts_at, candidates.c.id)
        .limit(_LIMIT)
        .subquery("page")
    )
    rows = (
        select(*columns)
        .select_from(page)
        .join(Occurrence, Occurrence.id == page.c.id)
        .join(Event, Occurrence.event_id == Event.id)
    )
    return _named(rows).order_by(Occurrence.starts_at, Occurrence.id)


LONG_RUNNING: ColumnElement[Any] = literal_column("interval '1 day'")
"""Occurrences longer than this are the only ones the index of what runs at a
moment holds; a shorter one running at a moment started within this before it."""


def long_running_at(moment: ColumnElement[datetime] | datetime) -> ColumnElement[bool]:
    """Longer than `LONG_RUNNING`, started before `moment` and ending after it: the test
    of the `ix_occurrences_running` index, which holds only such occurrences (a partial
    index, so that storing the many short ones costs it nothing)."""
    running = func.tstzrange(Occurrence.starts_at, Occurrence.ends_at, literal_column("'()'"))
    return and_(Occurrence.ends_at - Occurrence.starts_at > LONG_RUNNING, running.op("@>")(moment))


def _page_candidates(shape: _Shape) -> Subquery:
    """The ids and starts of the occurrences a page may hold: at most `limit` of each
    part, by start (every long one).

    The parts, which share no occurrence: those starting in the window; the short
    ones still running when it opens, which started in the day before it; and the
    long ones running then (from the index of what runs at a moment). The first
    two are read in order from the index on (start, id), which also carries what
    their tests read, and stop at `limit`.
    """

    def part(*window: ColumnElement[bool]) -> Select[Any]:
        query = _filtered((Occurrence.id, Occurrence.starts_at), shape, named=False)
        return query.where(*window)

    def first(query: Select[Any]) -> Select[Any]:
        return query.order_by(Occurrence.starts_at, Occurrence.id).limit(_LIMIT)

    starting = first(part(Occurrence.starts_at >= _START))
    running = first(
        part(
            Occurrence.starts_at >= _START - LONG_RUNNING,
            Occurrence.starts_at < _START,
            Occurrence.ends_at > _START,
            Occurrence.ends_at - Occurrence.starts_at <= LONG_RUNNING,
        )
    )
    # All of them, unordered: few occurrences run for days, and given an order and a
    # limit, the planner, which cannot tell how few, may read the start index instead.
    long_running = part(long_running_at(_START))
    return union_all(starting, running, long_running).subquery("candidates")


def feed_rows(session: Session, filters: OccurrenceFilters) -> list[FeedRow]:
    """The occurrences `filters` selects, by start (then id), as a feed writes them."""
    statement = _feed_statement(_Shape.of(filters))
    rows = session.connection().execute(statement, _values(filters))
    return [FeedRow(*row) for row in rows]


@lru_cache(maxsize=64)
def _feed_statement(shape: _Shape) -> Select[Any]:
    return _filtered(
        (
            Occurrence.id,
            Occurrence.first_seen_at,
            Occurrence.title,
            Occurrence.starts_at,
            Occurrence.ends_at,
            Occurrence.all_day,
            Occurrence.timezone,
            Event.id,
            Event.title,
            Event.description,
            Event.price,
            Event.url,
            Event.categories,
            Event.location_text,
            Event.sequence,
            Venue.name,
            Venue.address,
            shown_status(),
            last_changed(),
        ),
        shape,
    ).order_by(Occurrence.starts_at, Occurrence.id)


def feed_version(session: Session, filters: OccurrenceFilters) -> FeedVersion:
    """How many rows `filters` gives, when the latest of them changed, sums of ids and sequences.

    One aggregate over the same rows as `list_occurrences`, without reading them.
    """
    statement = _version_statement(_Shape.of(filters))
    values = _values(filters)
    count, changed, id_sum, sequence_sum = session.connection().execute(statement, values).one()
    return FeedVersion(int(count), changed, int(id_sum), int(sequence_sum))


@lru_cache(maxsize=64)
def _version_statement(shape: _Shape) -> Select[Any]:
    return _filtered(
        (
            func.count(),
            func.max(last_changed()),
            func.coalesce(func.sum(Occurrence.id), 0),
            func.coalesce(func.sum(Event.sequence), 0),
        ),
        shape,
        named=False,
    )


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
    db: Session | Connection, model: type[Source] | type[Venue], slugs: Sequence[str]
) -> dict[str, int]:
    """The ids of the sources or venues with these slugs; unknown slugs are missing."""
    if not slugs:
        return {}
    rows = db.execute(select(model.slug, model.id).where(model.slug.in_(list(slugs))))
    return {slug: id_ for slug, id_ in rows}
