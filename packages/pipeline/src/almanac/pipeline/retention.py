"""Pruning old records, each table after its own retention setting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from almanac.core.settings import Settings
from almanac.db.retention import (
    delete_dead_letters_before,
    delete_scrape_runs_before,
    delete_task_runs_before,
)

Deletion = Callable[[Session, datetime], int]


def retention_rules(settings: Settings) -> dict[str, tuple[Deletion, int]]:
    """Table → (its deletion, days kept). A new table to prune is one line here."""
    return {
        "scrape_runs": (delete_scrape_runs_before, settings.run_retention_days),
        "task_runs": (delete_task_runs_before, settings.run_retention_days),
        "dead_letters": (delete_dead_letters_before, settings.dead_letter_retention_days),
    }


def prune(
    sessions: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> dict[str, int]:
    """Delete what is older than each table's retention; returns table → rows deleted.

    Each table is pruned in its own transaction, so one that fails leaves the
    others pruned.
    """
    now = now or datetime.now(UTC)
    deleted = {}
    for table, (delete_before, days) in retention_rules(settings).items():
        with sessions.begin() as session:
            deleted[table] = delete_before(session, now - timedelta(days=days))
    return deleted
