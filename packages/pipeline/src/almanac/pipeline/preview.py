"""The `preview_source` use-case: read a proposed source as a scrape would, store nothing.

An operator sees, before saving a source, the events it would yield and
every problem met on the way (a page that could not be fetched, an item a
parser skipped, a selector that matched nothing), so a page that yields no
events says why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from almanac.core.addresses import without_credentials
from almanac.core.domain import EventIn, LinkKind, ParseProblem, SourceKind
from almanac.core.errors import FetchError, ParseError
from almanac.core.settings import Settings
from almanac.pipeline.content_types import check_readable
from almanac.pipeline.crawl import crawl
from almanac.pipeline.fetch import make_client
from almanac.pipeline.polite_fetch import PoliteFetcher
from almanac.pipeline.window import read_frame
from almanac.scrapers import ical
from almanac.scrapers.context import ParseContext
from almanac.scrapers.registry import parser_for

MAX_FEEDS = 20
"""Feeds a listing links to that a preview reads; a source may link to many months."""
MAX_EVENTS_SHOWN = 500


@dataclass(slots=True)
class Preview:
    """What a scrape of the proposed source would find."""

    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, str | None]] = field(default_factory=list)
    event_count: int = 0
    requests: int = 0
    bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def preview_source(
    settings: Settings,
    kind: str,
    url: str,
    config: dict[str, Any],
    timezone: str | None = None,
    *,
    client: httpx.Client | None = None,
    now: datetime | None = None,
) -> Preview:
    """Fetch and parse the source; nothing is written, and failures become problems."""
    _, context = read_frame(settings, timezone, config, now or datetime.now(UTC))
    own = client is None
    http = client or make_client(settings)
    fetcher = PoliteFetcher(settings, http)
    events: list[EventIn] = []
    problems: list[ParseProblem] = []
    shown = without_credentials(url)
    try:
        events, problems = _read(fetcher, kind, url, context)
    except (FetchError, ParseError) as exc:
        problems.append(ParseProblem(str(exc), shown))
    except Exception as exc:  # a broken parser must still answer the operator
        problems.append(ParseProblem(f"unexpected error: {type(exc).__name__}: {exc}", shown))
    finally:
        if own:
            http.close()
    if not events and not problems:
        problems.append(ParseProblem(_nothing_found(kind, config, context), shown))
    return Preview(
        events=[_event(event) for event in events[:MAX_EVENTS_SHOWN]],
        problems=[problem.as_dict() for problem in problems],
        event_count=len(events),
        requests=fetcher.trace.requests,
        bytes=fetcher.trace.bytes,
    )


def _nothing_found(kind: str, config: dict[str, Any], context: ParseContext) -> str:
    reason = (
        f"the {kind} parser found no events between {context.window_start.date()} "
        f"and {context.window_end.date()}"
    )
    if kind == SourceKind.CSS:
        reason += f": does the 'item' selector {config.get('item')!r} match the page's events?"
    return reason


def _read(
    fetcher: PoliteFetcher, kind: str, url: str, context: ParseContext
) -> tuple[list[EventIn], list[ParseProblem]]:
    parse = parser_for(kind)
    response = fetcher.get(url)
    if kind == SourceKind.ICAL:
        check_readable(response)
        parsed = parse(response.body, response.url, context)
        return parsed.events, parsed.problems
    parsed = crawl(fetcher, parse, response, context)
    events, problems = list(parsed.events), list(parsed.problems)
    feeds = [link.url for link in parsed.links if link.kind is LinkKind.FEED]
    for feed_url in feeds[:MAX_FEEDS]:
        try:
            feed = fetcher.get(feed_url)
            check_readable(feed)
            read = ical.parse(feed.body, feed.url, context)
        except (FetchError, ParseError) as exc:
            problems.append(ParseProblem(f"feed skipped: {exc}", without_credentials(feed_url)))
            continue
        events.extend(read.events)
        problems.extend(read.problems)
    if len(feeds) > MAX_FEEDS:
        problems.append(
            ParseProblem(
                f"only the first {MAX_FEEDS} of {len(feeds)} feeds were read",
                without_credentials(url),
            )
        )
    return events, problems


def _event(event: EventIn) -> dict[str, Any]:
    return {
        "external_id": event.external_id,
        "title": event.title,
        "description": event.description,
        "url": event.url,
        "image_url": event.image_url,
        "location": event.location_text,
        "categories": list(event.categories),
        "price": event.price,
        "status": str(event.status),
        "occurrences": [
            {
                "starts_at": occurrence.starts_at.isoformat(),
                "ends_at": occurrence.ends_at.isoformat() if occurrence.ends_at else None,
                "all_day": occurrence.all_day,
                "timezone": occurrence.timezone,
                "status": str(occurrence.status),
                "title": occurrence.title,
            }
            for occurrence in event.occurrences
        ],
    }
