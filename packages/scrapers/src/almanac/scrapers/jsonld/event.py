"""One schema.org Event node as an event with its occurrence."""

from __future__ import annotations

from dataclasses import dataclass

from almanac.core.domain import EventIn, EventStatus
from almanac.scrapers.context import ParseContext
from almanac.scrapers.jsonld.location import read_location
from almanac.scrapers.jsonld.nodes import Found, Graph, first, local_name, text
from almanac.scrapers.jsonld.offers import read_price
from almanac.scrapers.jsonld.plain import description, plain_text
from almanac.scrapers.jsonld.urls import absolute
from almanac.scrapers.jsonld.when import When, read_occurrence

UNTITLED = "(untitled)"
_STATUSES = {
    "EventCancelled": EventStatus.CANCELLED,
    "EventPostponed": EventStatus.POSTPONED,
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """An event before it has its identity: `external_id` is still empty."""

    event: EventIn
    venue: str | None
    end_problem: str | None
    nested: bool
    """Whether the event is part of another (a festival's sub-event, say)."""


def read_event(found: Found, graph: Graph, base: str, context: ParseContext) -> Candidate:
    """The event a node describes; raises `DateProblem` when its start cannot be read."""
    node = found.node
    status = _status(node.get("eventStatus"))
    when: When = read_occurrence(
        text(node.get("startDate")), text(node.get("endDate")), context.timezone, status
    )
    location_value = node.get("location")
    if location_value in (None, "", []) and found.parent is not None:
        location_value = found.parent.get("location")
    location = read_location(location_value, graph)
    event = EventIn(
        external_id="",
        title=plain_text(text(node.get("name"))) or UNTITLED,
        occurrences=(when.occurrence,),
        description=description(text(node.get("description"))),
        url=absolute(text(node.get("url")), base),
        image_url=_image(node.get("image"), graph, base),
        location_text=location.text,
        price=read_price(node.get("offers"), node.get("isAccessibleForFree"), graph),
        status=status,
    )
    return Candidate(event, location.venue, when.end_problem, nested=found.parent is not None)


def _status(value: object) -> EventStatus:
    written = text(value)
    if written is None:
        return EventStatus.SCHEDULED
    # EventRescheduled is scheduled again, at its new startDate.
    return _STATUSES.get(local_name(written), EventStatus.SCHEDULED)


def _image(value: object, graph: Graph, base: str) -> str | None:
    image = graph.resolve(first(value))
    if isinstance(image, dict):
        image = image.get("url") or image.get("contentUrl")
    return absolute(text(image), base)
