"""The feeds a source discovers, each with its own fetch state."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from almanac.db.models import Event, Feed


def feeds_for(session: Session, source_id: int, urls: Sequence[str]) -> list[Feed]:
    """The source's feeds with these URLs, created where new, in the order given."""
    if not urls:
        return []
    session.execute(
        pg_insert(Feed)
        .values([{"source_id": source_id, "url": url} for url in dict.fromkeys(urls)])
        .on_conflict_do_nothing(index_elements=[Feed.source_id, Feed.url])
    )
    found = {
        feed.url: feed
        for feed in session.scalars(
            select(Feed).where(Feed.source_id == source_id, Feed.url.in_(list(urls)))
        )
    }
    return [found[url] for url in dict.fromkeys(urls)]


def external_ids_of_feed(session: Session, feed_id: int) -> list[str]:
    """The events last read from this feed: still there when the feed has not changed."""
    return list(session.scalars(select(Event.external_id).where(Event.feed_id == feed_id)))
