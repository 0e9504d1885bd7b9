"""What a crawl of a bench site cannot go below, and what reading its pages costs alone."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from almanac.core.domain import PageRole
from almanac.core.settings import Settings
from almanac.scrapers.context import ParseContext
from almanac.scrapers.jsonld import parse
from bench.site_pages import DETAIL_LINKS, SiteShape


def crawl_floor_seconds(shape: SiteShape, latency: float, per_host: int) -> float:
    """robots.txt, then the listing pages one after another, then the event pages
    `per_host` at a time: how the pipeline reads a site, with no time spent but waiting."""
    return (1 + shape.listings + math.ceil(shape.events / per_host)) * latency


@dataclass(frozen=True, slots=True)
class ParseSeconds:
    listings: float
    events: float

    @property
    def total(self) -> float:
        return self.listings + self.events


def parse_seconds(
    shape: SiteShape, origins: list[str], bodies: dict[str, bytes], settings: Settings
) -> ParseSeconds:
    """Seconds the JSON-LD parser takes over the sites' listing pages and event pages."""
    listing = ParseContext.around(
        datetime.now(UTC),
        settings.zone,
        settings.past_days,
        settings.horizon_days,
        {"detail_links": DETAIL_LINKS},
    )
    detail = replace(listing, page=PageRole.DETAIL)
    first = shape.listing_url(origins[0])
    parse(bodies[first], first, listing)  # the first call pays for imports and compiled selectors
    seconds = {PageRole.LISTING: 0.0, PageRole.DETAIL: 0.0}
    for origin in origins:
        listings = {shape.listing_url(origin, n) for n in range(1, shape.listings + 1)}
        for url in shape.page_urls(origin):
            context = listing if url in listings else detail
            started = time.perf_counter()
            parse(bodies[url], url, context)
            seconds[context.page] += time.perf_counter() - started
    return ParseSeconds(seconds[PageRole.LISTING], seconds[PageRole.DETAIL])
