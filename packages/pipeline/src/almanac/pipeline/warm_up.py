"""What a worker loads once, before it starts taking scrapes.

A worker forks its pool processes after this: every child inherits what was
loaded (the certificate store, httpx's transport modules, the selectors and
patterns the page parsers compile on first use, the database mappings, the
statements that look a source up) instead of paying for it again on its
first scrape. The one database connection opened here stays the parent's: a
forked process starts with empty pools (`almanac.db.engine`).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import configure_mappers

from almanac.core.domain import SourceKind
from almanac.core.errors import SourceNotFound
from almanac.core.settings import Settings
from almanac.db import models  # noqa: F401  (the mappings configure_mappers sets up)
from almanac.db.engine import engine_for, session_factory
from almanac.pipeline.fetch import make_client
from almanac.pipeline.sources import source_slug
from almanac.scrapers.context import ParseContext
from almanac.scrapers.registry import parser_for

log = logging.getLogger(__name__)
_NO_SLUG = "(warm-up)"
"""Looked up as a slug, which no source can have (see `SLUG_PATTERN`)."""

_PAGE = b"""<!doctype html>
<html><head><link rel="canonical" href="https://almanac.invalid/events">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Event", "name": "Almanac",
 "startDate": "2026-01-01T20:00", "url": "/events/1"}
</script></head>
<body><a class="more" href="/events/1">More</a><a rel="next" href="?page=2">Next</a></body>
</html>"""


def warm_up(settings: Settings) -> None:
    """Build an HTTP client and read a small listing page, then throw both away; look up a
    source by slug and by id, as every scrape does first, so that both are compiled."""
    configure_mappers()
    _compile_source_lookups(settings)
    make_client(settings).close()
    context = ParseContext.around(
        datetime.now(UTC), settings.zone, settings.past_days, settings.horizon_days
    )
    parser_for(SourceKind.JSONLD)(_PAGE, "https://almanac.invalid/events", context)


def _compile_source_lookups(settings: Settings) -> None:
    """SQLAlchemy compiles a statement on its first run with an engine, and keeps it."""
    sessions = session_factory(engine_for(settings.database_url))
    try:
        for ref in (_NO_SLUG, "0"):
            with contextlib.suppress(SourceNotFound):
                source_slug(sessions, ref)
    except DBAPIError as exc:  # the worker starts anyway, and says why when it scrapes
        log.info("could not look a source up before starting: %s", exc.orig or exc)
