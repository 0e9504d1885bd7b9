"""Deleting what is older than it is worth keeping: one function per table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from almanac.db.models import DeadLetter, ScrapeRun, TaskRun


def delete_scrape_runs_before(session: Session, cutoff: datetime) -> int:
    """Runs that started before `cutoff`; returns how many were deleted."""
    result = session.execute(delete(ScrapeRun).where(ScrapeRun.started_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_dead_letters_before(session: Session, cutoff: datetime) -> int:
    """Dead letters that failed before `cutoff`, replayed or not; returns how many were deleted."""
    result = session.execute(delete(DeadLetter).where(DeadLetter.failed_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_task_runs_before(session: Session, cutoff: datetime) -> int:
    """Task runs last heard of before `cutoff`; returns how many were deleted."""
    result = session.execute(delete(TaskRun).where(TaskRun.updated_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]
