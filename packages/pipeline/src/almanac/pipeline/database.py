"""The database as an operator sees it: create and migrate it, tell its revision."""

from __future__ import annotations

from dataclasses import dataclass

from almanac.core.settings import Settings
from almanac.db import migrate


@dataclass(frozen=True, slots=True)
class MigrationState:
    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def upgrade_database(settings: Settings, revision: str = "head") -> tuple[bool, MigrationState]:
    """Create the database if missing, migrate it; returns (created, state after)."""
    created = migrate.ensure_database(settings.database_url)
    migrate.upgrade(settings.database_url, revision)
    return created, migration_state(settings)


def migration_state(settings: Settings) -> MigrationState:
    url = settings.database_url
    return MigrationState(migrate.current_revision(url), migrate.head_revision(url))
