"""Reading and saving sources."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from almanac.core.errors import SourceNotFound
from almanac.core.sources import SourceSpec
from almanac.db.models import Source


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


def upsert_sources(session: Session, specs: Sequence[SourceSpec]) -> tuple[int, int]:
    """Create or update sources by slug; returns (created, updated).

    Running it twice with the same specs changes nothing the second time.
    """
    created = updated = 0
    for spec in specs:
        values = spec.model_dump(mode="json")
        statement = pg_insert(Source).values(values)
        changed = [getattr(Source, k).is_distinct_from(statement.excluded[k]) for k in values]
        where = changed[0]
        for clause in changed[1:]:
            where = where | clause
        upsert: ReturningInsert[tuple[bool]] = statement.on_conflict_do_update(
            index_elements=[Source.slug],
            set_={k: statement.excluded[k] for k in values if k != "slug"}
            | {"updated_at": func.now()},
            where=where,
        ).returning(literal_column("xmax = 0"))
        row = session.execute(upsert).first()
        if row is None:
            continue
        if row[0]:
            created += 1
        else:
            updated += 1
    return created, updated
