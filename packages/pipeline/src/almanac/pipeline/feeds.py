"""The iCalendar feeds a web source links to: each fetched with its own state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from almanac.core.domain import EventIn, ParseProblem
from almanac.core.errors import FetchError, ParseError
from almanac.db.feed_queries import external_ids_of_feed, feeds_for
from almanac.db.hashing import body_hash
from almanac.pipeline.polite_fetch import PoliteFetcher
from almanac.scrapers import ical
from almanac.scrapers.context import ParseContext

MAX_FEEDS = 50


@dataclass(frozen=True, slots=True)
class FeedPart:
    """Events read from one feed (or, with no feed, from the pages themselves)."""

    feed_id: int | None
    events: list[EventIn]


@dataclass(slots=True)
class FeedsRead:
    parts: list[FeedPart] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    kept_external_ids: list[str] = field(default_factory=list)
    """Events of feeds that did not change, or could not be read: they stay as stored."""


def read_feeds(
    session: Session,
    fetcher: PoliteFetcher,
    source_id: int,
    urls: list[str],
    context: ParseContext,
) -> FeedsRead:
    """Fetch and read each feed; a feed that has not changed since its last read is not parsed."""
    read = FeedsRead()
    if len(urls) > MAX_FEEDS:
        read.problems.append(ParseProblem(f"only the first {MAX_FEEDS} of {len(urls)} feeds read"))
    window_key = f"{context.window_start.isoformat()}/{context.window_end.isoformat()}"
    for feed in feeds_for(session, source_id, urls[:MAX_FEEDS]):
        feed.last_fetched_at = datetime.now(UTC)
        try:
            response = fetcher.get(feed.url, etag=feed.etag, last_modified=feed.last_modified)
            digest = body_hash(response.body + window_key.encode())
            if response.not_modified or digest == feed.content_hash:
                feed.last_status = "not_modified"
                read.kept_external_ids.extend(external_ids_of_feed(session, feed.id))
                continue
            parsed = ical.parse(response.body, response.url, context)
        except (FetchError, ParseError) as exc:
            feed.last_status, feed.last_error = "failed", str(exc)
            read.problems.append(ParseProblem(f"feed skipped: {exc}", feed.url))
            read.kept_external_ids.extend(external_ids_of_feed(session, feed.id))
            continue
        feed.etag, feed.last_modified, feed.content_hash = (
            response.etag,
            response.last_modified,
            digest,
        )
        feed.last_status = "partial" if parsed.problems else "ok"
        feed.last_error = None
        read.problems.extend(parsed.problems)
        read.parts.append(FeedPart(feed.id, parsed.events))
    return read
