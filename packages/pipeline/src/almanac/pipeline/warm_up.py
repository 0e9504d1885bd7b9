"""What a worker loads once, before it starts taking scrapes.

A prefork worker forks its pool after this: every child inherits what was
loaded (the certificate store, httpx's transport modules, the selectors and
patterns the page parsers compile on first use, the database mappings)
instead of paying for it again on its first scrape. Nothing here opens a
connection, so nothing is shared across the fork.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import configure_mappers

from almanac.core.domain import SourceKind
from almanac.core.settings import Settings
from almanac.db import models  # noqa: F401  (the mappings configure_mappers sets up)
from almanac.pipeline.fetch import make_client
from almanac.scrapers.context import ParseContext
from almanac.scrapers.registry import parser_for

_PAGE = b"""<!doctype html>
<html><head><link rel="canonical" href="https://almanac.invalid/events">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Event", "name": "Almanac",
 "startDate": "2026-01-01T20:00", "url": "/events/1"}
</script></head>
<body><a class="more" href="/events/1">More</a><a rel="next" href="?page=2">Next</a></body>
</html>"""


def warm_up(settings: Settings) -> None:
    """Build an HTTP client and read a small listing page, then throw both away."""
    configure_mappers()
    make_client(settings).close()
    context = ParseContext.around(
        datetime.now(UTC), settings.zone, settings.past_days, settings.horizon_days
    )
    parser_for(SourceKind.JSONLD)(_PAGE, "https://almanac.invalid/events", context)
