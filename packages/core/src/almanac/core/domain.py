"""Domain types passed from the parsers to the ingest stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SourceKind(StrEnum):
    """How a source's URL is read."""

    ICAL = "ical"
    JSONLD = "jsonld"
    TRIBE = "tribe"
    CSS = "css"
    ICAL_LINKS = "ical_links"
    VANWEZEL = "vanwezel"
    MOTE = "mote"


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"
    REMOVED = "removed"


class RunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    PARTIAL = "partial"
    SUSPECT = "suspect"
    FAILED = "failed"


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    API = "api"
    CLI = "cli"


@dataclass(frozen=True, slots=True)
class OccurrenceIn:
    """One dated instance of an event, as a parser found it.

    `recurrence_key` identifies the instance within its event: the
    RECURRENCE-ID (or original start) in UTC ISO form, or the date for
    all-day events.
    """

    recurrence_key: str
    starts_at: datetime
    ends_at: datetime | None
    all_day: bool
    timezone: str
    status: EventStatus = EventStatus.SCHEDULED
    title: str | None = None
    """The instance's own title, when it differs from its event's."""

    def __reduce__(self) -> tuple[type[OccurrenceIn], tuple[object, ...]]:
        # A large feed's events cross a pipe from the process that parses them:
        # rebuilt from their fields, they pickle at a fraction of the cost.
        return OccurrenceIn, (
            self.recurrence_key,
            self.starts_at,
            self.ends_at,
            self.all_day,
            self.timezone,
            self.status,
            self.title,
        )


@dataclass(frozen=True, slots=True)
class EventIn:
    """An event as a parser found it, before storage."""

    external_id: str
    title: str
    occurrences: tuple[OccurrenceIn, ...]
    description: str | None = None
    url: str | None = None
    image_url: str | None = None
    location_text: str | None = None
    categories: tuple[str, ...] = ()
    price: str | None = None
    status: EventStatus = EventStatus.SCHEDULED
    sequence: int = 0

    def __reduce__(self) -> tuple[type[EventIn], tuple[object, ...]]:
        return EventIn, (
            self.external_id,
            self.title,
            self.occurrences,
            self.description,
            self.url,
            self.image_url,
            self.location_text,
            self.categories,
            self.price,
            self.status,
            self.sequence,
        )


@dataclass(slots=True)
class ParseProblem:
    """Something a parser skipped, with the reason a person can act on."""

    reason: str
    item: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"reason": self.reason, "item": self.item}


class LinkKind(StrEnum):
    """Why a parser points at another URL."""

    DETAIL = "detail"
    """An event's own page, to be read with `PageRole.DETAIL`."""
    NEXT_PAGE = "next_page"
    """The next page of a listing (or of an API's results), read like the first."""
    FEED = "feed"
    """An iCalendar feed the page links to, stored in `feeds` and read as `ical`."""


class PageRole(StrEnum):
    """What kind of page a parser is handed."""

    LISTING = "listing"
    DETAIL = "detail"


@dataclass(frozen=True, slots=True)
class Link:
    """A URL a parser found that the pipeline should fetch next."""

    url: str
    kind: LinkKind


@dataclass(slots=True)
class ParseResult:
    """What a parser returns: the events it could read, what it skipped, where to go next.

    Events found on a detail page replace those with the same `external_id`
    found on a listing (the event's URL is the usual id of both).
    """

    events: list[EventIn] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,99}$"
