"""Sending the scrapes of sources whose own schedule says it is time.

A claim moves the source's `next_run_at` on and is committed before its
scrape is sent, so two callers at once (two beats by mistake, a task
delivered twice) cannot both send it: the second finds it no longer due.
Sending after the commit means a run is never doubled; the price is that a
process killed between the commit and the send loses that one run (the
source runs again at its next time). A send that fails (the broker away)
puts the source back as due, so the next call tries again. Each send goes
through the source's lease (`send_scrape`), so a source still queued or
being scraped is not sent twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from almanac.core.settings import Settings
from almanac.db.source_schedules import (
    claim_due_sources,
    plan_daily_runs,
    plan_unplanned_sources,
    put_back,
)
from almanac.pipeline.task_records import send_scrape


@dataclass(slots=True)
class DueDispatch:
    due: list[str] = field(default_factory=list)
    sent: dict[str, str] = field(default_factory=dict)
    """Slug → the id of the scrape task sent."""
    already_running: dict[str, str] = field(default_factory=dict)
    """Slug → the id of the scrape task already queued or running."""
    failed: dict[str, str] = field(default_factory=dict)
    """Slug → why its scrape could not be sent (it stays due)."""
    planned: int = 0
    """Enabled sources that had no `next_run_at` and were given one."""

    def as_dict(self) -> dict[str, object]:
        return {
            "due": self.due,
            "sent": self.sent,
            "already_running": self.already_running,
            "failed": self.failed,
            "planned": self.planned,
        }


def dispatch_due(
    sessions: sessionmaker[Session],
    settings: Settings,
    send: Callable[[str, str], object],
    now: datetime | None = None,
) -> DueDispatch:
    """Claim the sources due at `now` and `send(slug, task_id)` a scrape of each."""
    now = now or datetime.now(UTC)
    result = DueDispatch()
    with sessions() as session:
        result.planned = plan_unplanned_sources(session, settings, now)
        claimed = claim_due_sources(session, settings, now)
    for due in claimed:
        result.due.append(due.slug)
        try:
            dispatch = send_scrape(sessions, settings, due.slug, partial(send, due.slug))
        except Exception as exc:
            with sessions() as session:
                put_back(session, due)
            result.failed[due.slug] = f"{type(exc).__name__}: {exc}"
            continue
        if dispatch.already_running:
            result.already_running[due.slug] = dispatch.task_id
        else:
            result.sent[due.slug] = dispatch.task_id
    return result


def plan_next_daily_run(
    sessions: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> None:
    """After the daily run: the sources it serves next run at the next daily time."""
    with sessions() as session:
        plan_daily_runs(session, settings, now or datetime.now(UTC))
