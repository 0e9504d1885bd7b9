"""Loading sources from a YAML file (idempotent) and listing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.addresses import PrivateAddressRefused, refuse_private_source
from almanac.core.errors import AlmanacError
from almanac.core.settings import Settings
from almanac.core.sources import SourcesFile, SourceSpec
from almanac.db.models import Source
from almanac.db.source_queries import (
    daily_source_slugs,
    enabled_source_slugs,
    get_source,
    upsert_sources,
)
from almanac.scrapers.registry import check_config


class SourcesFileError(AlmanacError):
    """A sources file that cannot be read or does not validate."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def read_sources_file(path: Path) -> list[SourceSpec]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SourcesFileError(f"{path}: {exc}") from exc
    try:
        return SourcesFile.model_validate(data).sources
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise SourcesFileError(f"{path}: {problems}") from None


def check_specs(specs: list[SourceSpec], settings: Settings) -> None:
    """Raise `SourcesFileError` naming each source whose config its kind cannot use,
    or whose URL leads into a private network that `settings` keep closed."""
    problems = []
    for spec in specs:
        try:
            check_config(spec.kind, spec.config)
        except ValueError as exc:
            problems.append(f"{spec.slug}: config: {exc}")
        try:
            refuse_private_source(spec.url, settings)
        except PrivateAddressRefused as exc:
            problems.append(f"{spec.slug}: url: {exc}")
    if problems:
        raise SourcesFileError("; ".join(problems))


def import_sources(
    sessions: sessionmaker[Session], settings: Settings, specs: list[SourceSpec]
) -> ImportResult:
    """Create or update the sources, all or none: a wrong config, or a URL leading
    into a closed private network, stops the import.

    Each source saved gets its next run time (`next_run_at`) if its schedule changed.
    """
    check_specs(specs, settings)
    with sessions.begin() as session:
        created, updated = upsert_sources(session, specs, settings, datetime.now(UTC))
    return ImportResult(created, updated, len(specs) - created - updated)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    slug: str
    name: str
    kind: str
    url: str
    enabled: bool
    last_status: str | None
    last_run_at: datetime | None
    last_event_count: int | None
    consecutive_failures: int
    last_error: str | None
    health_reason: str | None
    schedule: str | None
    next_run_at: datetime | None


def source_health(sessions: sessionmaker[Session]) -> list[SourceHealth]:
    """Every source with its health, by slug."""
    with sessions() as session:
        return [
            SourceHealth(
                s.slug,
                s.name,
                s.kind,
                s.url,
                s.enabled,
                s.last_status,
                s.last_run_at,
                s.last_event_count,
                s.consecutive_failures,
                s.last_error,
                s.health_reason,
                s.schedule,
                s.next_run_at,
            )
            for s in session.scalars(select(Source).order_by(Source.slug))
        ]


def enabled_sources(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return enabled_source_slugs(session)


def daily_sources(sessions: sessionmaker[Session]) -> list[str]:
    """The enabled sources the daily run sends: those without a schedule of their own."""
    with sessions() as session:
        return daily_source_slugs(session)


def source_slug(sessions: sessionmaker[Session], ref: str | int) -> str:
    """The slug of the source `ref` names (slug or id); raises `SourceNotFound`."""
    with sessions() as session:
        return get_source(session, ref).slug
