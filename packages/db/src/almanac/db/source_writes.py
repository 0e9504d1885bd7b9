"""Creating, changing and disabling one source, as the API does it.

Each write goes through `upsert_sources`, so a source saved here gets its
next run time exactly as one imported from a file does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from almanac.core.errors import SourceExists, SourceNotFound
from almanac.core.settings import Settings
from almanac.core.sources import SourceSpec
from almanac.db.models import Event, Feed, Source
from almanac.db.source_queries import upsert_sources


def source_by_slug(session: Session, slug: str) -> Source:
    """The source with this slug (never read as an id); raises `SourceNotFound`."""
    source = session.scalar(select(Source).where(Source.slug == slug))
    if source is None:
        raise SourceNotFound(f"no source {slug!r}")
    return source


def source_spec(source: Source) -> SourceSpec:
    """The operator-owned fields of a saved source."""
    return SourceSpec.model_validate(
        {name: getattr(source, name) for name in SourceSpec.model_fields}
    )


def create_source(session: Session, spec: SourceSpec, settings: Settings, now: datetime) -> Source:
    """Save a new source; raises `SourceExists` if its slug is taken."""
    if session.scalar(select(Source.id).where(Source.slug == spec.slug)) is not None:
        raise SourceExists(f"a source {spec.slug!r} already exists")
    upsert_sources(session, [spec], settings, now)
    return source_by_slug(session, spec.slug)


def changed_spec(source: Source, changes: Mapping[str, Any]) -> SourceSpec:
    """The source as it would be with `changes`; raises pydantic's `ValidationError`."""
    return SourceSpec.model_validate(source_spec(source).model_dump() | dict(changes))


def update_source(session: Session, spec: SourceSpec, settings: Settings, now: datetime) -> Source:
    """Save the new version of an existing source (see `changed_spec`)."""
    upsert_sources(session, [spec], settings, now)
    source = source_by_slug(session, spec.slug)
    session.refresh(source)
    return source


def disable_source(
    session: Session, slug: str, settings: Settings, now: datetime, *, purge: bool = False
) -> tuple[Source, int]:
    """Stop scraping the source; with `purge`, also delete its events (and its feeds' fetch
    state). Returns the source and how many events were deleted.

    The source is kept, with its run history, so that it can be enabled again.
    """
    source = source_by_slug(session, slug)
    spec = source_spec(source).model_copy(update={"enabled": False})
    upsert_sources(session, [spec], settings, now)
    purged = 0
    if purge:
        purged = len(
            session.scalars(
                delete(Event).where(Event.source_id == source.id).returning(Event.id)
            ).all()
        )
        # What was read is gone: the next scrape, if the source comes back, reads it all.
        session.execute(delete(Feed).where(Feed.source_id == source.id))
        session.refresh(source)
        source.etag = source.last_modified = source.content_hash = None
        session.flush()
    session.refresh(source)
    return source, purged
