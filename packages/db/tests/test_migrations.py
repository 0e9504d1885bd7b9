"""The migrations build exactly the models, and can be undone."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from almanac.db import migrate
from almanac.db.models import Base


@pytest.fixture
def empty_database() -> Iterator[str]:
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    url = f"{base}/almanac_migrations_{secrets.token_hex(4)}"
    assert migrate.ensure_database(url)
    yield url
    migrate.drop_database(url)


def test_upgrade_head_matches_the_models_and_downgrade_base_empties(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == migrate.head_revision(empty_database)
    engine = create_engine(empty_database)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert differences == []
        migrate.downgrade(empty_database, "base")
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        migrate.upgrade(empty_database)
        assert set(inspect(engine).get_table_names()) >= {
            "sources",
            "feeds",
            "events",
            "occurrences",
            "venues",
            "venue_aliases",
            "scrape_runs",
            "dead_letters",
        }
    finally:
        engine.dispose()


def test_ensure_database_is_idempotent(empty_database: str) -> None:
    assert migrate.ensure_database(empty_database) is False
