"""Reading and saving sources."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from almanac.core.errors import SourceNotFound
from almanac.core.settings import Settings
from almanac.core.sources import SourceSpec
from almanac.db.models import Source
from almanac.db.source_schedules import next_run_at

SOURCE_COLUMNS = tuple(column.key for column in Source.__table__.columns)
"""The `sources` table's columns, in order: the keys of `source_rows`' dicts."""
_PLAN_FIELDS = ("schedule", "timezone", "enabled")
"""Fields whose change gives a saved source a new `next_run_at`."""


def source_rows(connection: Connection) -> list[dict[str, Any]]:
    """Every source's row, by slug, as a plain dict: for a list that needs none of the
    ORM's bookkeeping (a row's attributes also cost more to read than a dict's keys)."""
    result = connection.execute(select(*Source.__table__.columns).order_by(Source.slug))
    return [dict(zip(SOURCE_COLUMNS, row, strict=True)) for row in result]


def get_source(session: Session, ref: str | int) -> Source:
    """The source with this slug, or this id (an int or a string of digits)."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        source = session.get(Source, int(ref))
    else:
        source = session.scalar(select(Source).where(Source.slug == ref))
    if source is None:
        raise SourceNotFound(f"no source {ref!r}")
    return source


def enabled_source_slugs(session: Session) -> list[str]:
    return list(session.scalars(select(Source.slug).where(Source.enabled).order_by(Source.slug)))


def daily_source_slugs(session: Session) -> list[str]:
    """The enabled sources without a schedule of their own: those the daily run sends."""
    return list(
        session.scalars(
            select(Source.slug)
            .where(Source.enabled, Source.schedule.is_(None))
            .order_by(Source.slug)
        )
    )


def upsert_sources(
    session: Session, specs: Sequence[SourceSpec], settings: Settings, now: datetime
) -> tuple[int, int]:
    """Create or update sources by slug; returns (created, updated).

    A source whose schedule, zone or `enabled` changed (or that has no
    `next_run_at` while enabled) gets its next run time after `now`; the
    others keep theirs, so saving a source again does not skip a run that is
    due. Running it twice with the same specs changes nothing the second time.
    """
    created = updated = 0
    for spec in specs:
        values = spec.model_dump(mode="json")
        planned = next_run_at(settings, spec.schedule, spec.timezone, spec.enabled, now)
        statement = pg_insert(Source).values(values | {"next_run_at": planned})
        replan = or_(
            *(getattr(Source, k).is_distinct_from(statement.excluded[k]) for k in _PLAN_FIELDS),
            Source.enabled & Source.next_run_at.is_(None),
        )
        changed = [getattr(Source, k).is_distinct_from(statement.excluded[k]) for k in values]
        upsert: ReturningInsert[tuple[bool]] = statement.on_conflict_do_update(
            index_elements=[Source.slug],
            set_={k: statement.excluded[k] for k in values if k != "slug"}
            | {
                "updated_at": func.now(),
                "next_run_at": case(
                    (replan, statement.excluded.next_run_at), else_=Source.next_run_at
                ),
            },
            where=or_(*changed, replan),
        ).returning(literal_column("xmax = 0"))
        row = session.execute(upsert).first()
        if row is None:
            continue
        if row[0]:
            created += 1
        else:
            updated += 1
    return created, updated
