"""What the events API returns."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from almanac.api import event_examples as examples


class VenueOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.VENUE]})

    slug: str
    name: str
    address: str | None
    url: str | None


class EventOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.EVENT]})

    id: int
    source: str
    """The source's slug."""
    external_id: str
    title: str
    description: str | None
    """Sanitized HTML."""
    url: str | None
    image_url: str | None
    location: str | None
    """The place as the source wrote it."""
    venue: VenueOut | None
    categories: list[str]
    price: str | None
    free: bool
    """The price says it is free ("Free", "gratis", "$0"…); false when no price is known."""
    status: str
    sequence: int
    """Grows by one whenever what people see of the event, or its schedule, changes."""


class OccurrenceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.OCCURRENCE]})

    id: int
    recurrence_id: str | None
    """The instance's original start, for events that repeat; null otherwise."""
    title: str
    """The instance's title: its event's, unless the feed gave this instance its own."""
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    start_date: date | None
    end_date: date | None
    """For all-day occurrences: the first day, and the day after the last."""
    timezone: str
    status: str
    """scheduled, cancelled, postponed or removed: the occurrence's own or its event's."""
    previous_starts_at: datetime | None
    """Where the occurrence started before it last moved."""


class ListedOccurrenceOut(OccurrenceOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.LISTED_OCCURRENCE]})

    event: EventOut


class OccurrencePage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.OCCURRENCE_PAGE]})

    start: datetime
    end: datetime
    count: int
    items: list[ListedOccurrenceOut]
    next_cursor: str | None = None
    """Pass it as `cursor` for the next page; null on the last page."""


class SourceRefOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "riverside-arts",
                    "name": "Riverside Arts",
                    "url": "https://riverside-arts.example/events.ics",
                }
            ]
        }
    )

    slug: str
    name: str
    url: str


class MoveOut(BaseModel):
    """An occurrence that moved: where it started before, and where after."""

    occurrence_id: int
    previous_starts_at: datetime
    starts_at: datetime
    moved_at: datetime
    """When Almanac found it moved."""


class StoredOccurrenceOut(OccurrenceOut):
    removed_at: datetime | None


class EventDetailOut(EventOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.EVENT_DETAIL]})

    source_detail: SourceRefOut
    first_seen_at: datetime
    updated_at: datetime
    removed_at: datetime | None
    occurrences: list[StoredOccurrenceOut]
    """Every occurrence stored for the event, past, removed and cancelled ones included."""
    moves: list[MoveOut]
    """Every move of the event's occurrences, oldest first."""
