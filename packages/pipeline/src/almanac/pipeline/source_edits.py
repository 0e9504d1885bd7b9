"""Changing one source from the `almanac` command, and writing every source
back out as a sources file that `almanac sources import` reads unchanged."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.settings import Settings
from almanac.core.sources import SourcesFile, SourceSpec
from almanac.db.models import Source
from almanac.db.source_queries import get_source
from almanac.pipeline.sources import ImportResult, import_sources


def spec_of(source: Source) -> SourceSpec:
    """The operator-owned fields of a stored source."""
    return SourceSpec(
        slug=source.slug,
        name=source.name,
        kind=source.kind,
        url=source.url,
        config=dict(source.config or {}),
        schedule=source.schedule,
        timezone=source.timezone,
        enabled=source.enabled,
        default_categories=list(source.default_categories or []),
    )


def current_spec(sessions: sessionmaker[Session], slug: str) -> SourceSpec:
    """The source as it is saved; raises `SourceNotFound`."""
    with sessions() as session:
        return spec_of(get_source(session, slug))


def edit_source(
    sessions: sessionmaker[Session], settings: Settings, slug: str, changes: dict[str, Any]
) -> ImportResult:
    """Save `changes` to the source, checked as a new source would be (its config
    for its kind, its schedule, its zone); raises `ValidationError` or
    `SourcesFileError` naming what is wrong, and saves nothing then."""
    spec = current_spec(sessions, slug)
    edited = SourceSpec.model_validate(spec.model_dump() | changes)
    return import_sources(sessions, settings, [edited])


def export_sources(sessions: sessionmaker[Session]) -> str:
    """Every source, by slug, as the YAML of a sources file (defaults left out)."""
    with sessions() as session:
        specs = [spec_of(s) for s in session.scalars(select(Source).order_by(Source.slug))]
    document = SourcesFile(sources=specs).model_dump(mode="json", exclude_defaults=True)
    document.setdefault("sources", [])
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
