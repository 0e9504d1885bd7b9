"""The load test's sources: many venues on a few hosts, answered by the bench's site server.

Each host (`127.0.0.K`, all loopback) holds venues of two kinds: JSON-LD sites
(a listing or two and a page per event, `jsonld`) and pages of iCalendar feeds
(`ical_links`). Every source has its own paths, so no two sources share a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from almanac.db.models import Source
from bench.calendar_pages import CalendarShape
from bench.site_pages import DETAIL_LINKS, SiteShape
from bench.site_server import Sites

WEB_SHAPES = (SiteShape(1, 2), SiteShape(1, 3), SiteShape(2, 1), SiteShape(2, 2), SiteShape(1, 4))
"""Per host, one JSON-LD venue of each shape: 3 to 6 pages."""
CALENDAR_SHAPES = (
    CalendarShape(2, 3),
    CalendarShape(3, 2),
    CalendarShape(3, 3),
    CalendarShape(2, 4),
    CalendarShape(4, 2),
)
"""Per host, one venue with a page of feeds of each shape: 3 to 5 pages."""
SOURCES_PER_HOST = len(WEB_SHAPES) + len(CALENDAR_SHAPES)


@dataclass(frozen=True, slots=True)
class LoadSource:
    slug: str
    kind: str
    url: str
    host: str
    """The host and port the source's pages are on."""
    pages: int
    events: int
    config: dict[str, Any] = field(default_factory=dict)


def load_sources(sites: Sites) -> list[LoadSource]:
    """Every host's sources, ordered host after host within each shape, so that a queue
    taken from the front keeps every host busy at once."""
    sources = []
    for index in range(SOURCES_PER_HOST):
        for number in range(1, sites.hosts + 1):
            origin = sites.origin(number)
            sources.append(_source(origin, number, index))
    return sources


def _source(origin: str, number: int, index: int) -> LoadSource:
    host = origin.removeprefix("http://")
    slug = f"load-{number:02d}-{index:02d}"
    if index < len(WEB_SHAPES):
        site = WEB_SHAPES[index]
        return LoadSource(
            slug,
            "jsonld",
            site.listing_url(origin),
            host,
            site.pages,
            site.events,
            {"detail_links": DETAIL_LINKS},
        )
    calendars = CALENDAR_SHAPES[index - len(WEB_SHAPES)]
    return LoadSource(
        slug, "ical_links", calendars.page_url(origin), host, calendars.pages, calendars.events
    )


def add_sources(engine: Engine, sources: list[LoadSource]) -> None:
    with Session(engine) as session:
        session.add_all(
            Source(
                slug=s.slug,
                name=f"Load venue {s.slug}",
                kind=s.kind,
                url=s.url,
                config=s.config,
                timezone="America/New_York",
            )
            for s in sources
        )
        session.commit()
