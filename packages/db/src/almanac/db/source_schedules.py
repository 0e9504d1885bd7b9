"""When each source runs next (`sources.next_run_at`), and claiming those whose time has come.

Every enabled source has a `next_run_at`: its cron expression's next time,
or the daily run's for a source without one; a disabled source has none.
Only sources with their own schedule are claimed here; the others are sent
by the daily run, which moves their `next_run_at` on (`plan_daily_runs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from almanac.core.schedules import next_cron_time, next_daily_time
from almanac.core.settings import Settings

_DUE = text(
    """
    SELECT id, slug, schedule, timezone, next_run_at FROM sources
    WHERE enabled AND schedule IS NOT NULL AND next_run_at <= :now
    ORDER BY next_run_at, id
    FOR UPDATE SKIP LOCKED
    """
)
_MOVE = text("UPDATE sources SET next_run_at = :next_run_at WHERE id = :id")
_PUT_BACK = text(
    "UPDATE sources SET next_run_at = :due_at WHERE slug = :slug AND next_run_at = :moved_to"
)
_UNPLANNED = text(
    """
    SELECT id, schedule, timezone FROM sources
    WHERE enabled AND next_run_at IS NULL
    FOR UPDATE SKIP LOCKED
    """
)
_DAILY = text("UPDATE sources SET next_run_at = :next_run_at WHERE enabled AND schedule IS NULL")


@dataclass(frozen=True, slots=True)
class DueSource:
    slug: str
    due_at: datetime
    """The `next_run_at` that came due."""
    moved_to: datetime
    """The `next_run_at` it was moved on to by the claim."""


def source_zone(timezone: str | None, settings: Settings) -> ZoneInfo:
    """The clock a source's schedule is read on: its own zone, else the city's."""
    return ZoneInfo(timezone) if timezone else settings.zone


def next_run_at(
    settings: Settings, schedule: str | None, timezone: str | None, enabled: bool, now: datetime
) -> datetime | None:
    """The `next_run_at` a source should have after `now`; None if it is disabled.

    The daily run keeps the city's clock, whatever the source's zone.
    """
    if not enabled:
        return None
    if schedule is None:
        return next_daily_time(settings.daily_run_time, settings.zone, now)
    return next_cron_time(schedule, source_zone(timezone, settings), now)


def claim_due_sources(session: Session, settings: Settings, now: datetime) -> list[DueSource]:
    """Take the scheduled sources due at `now`, moving each one's `next_run_at` on; commits.

    Rows another caller is claiming are skipped (`SKIP LOCKED`), and a row
    claimed and committed meanwhile no longer matches `next_run_at <= now`,
    so of two callers at once each due source goes to exactly one.
    """
    claimed = []
    for row in session.execute(_DUE, {"now": now}).all():
        zone = source_zone(row.timezone, settings)
        moved_to = next_cron_time(row.schedule, zone, now)
        session.execute(_MOVE, {"id": row.id, "next_run_at": moved_to})
        claimed.append(DueSource(row.slug, row.next_run_at, moved_to))
    session.commit()
    return claimed


def put_back(session: Session, due: DueSource) -> None:
    """Make a claimed source due again (its scrape could not be sent); commits."""
    session.execute(_PUT_BACK, {"slug": due.slug, "due_at": due.due_at, "moved_to": due.moved_to})
    session.commit()


def plan_unplanned_sources(session: Session, settings: Settings, now: datetime) -> int:
    """Give every enabled source without a `next_run_at` one; commits. Returns how many."""
    rows = session.execute(_UNPLANNED).all()
    for row in rows:
        when = next_run_at(settings, row.schedule, row.timezone, True, now)
        session.execute(_MOVE, {"id": row.id, "next_run_at": when})
    session.commit()
    return len(rows)


def plan_daily_runs(session: Session, settings: Settings, now: datetime) -> None:
    """Move every enabled source without a schedule of its own on to the next daily run; commits."""
    when = next_daily_time(settings.daily_run_time, settings.zone, now)
    session.execute(_DAILY, {"next_run_at": when})
    session.commit()
