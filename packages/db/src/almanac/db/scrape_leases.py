"""One scrape per source at a time, queued or running: a lease on the source's row.

Whoever sends a scrape claims the source's lease for the task it sends; the
task, when it starts, claims it again under its own id (a task that is
retried, or delivered again after its worker died, keeps its id and so its
lease). Anyone who finds the lease held by another task is told that task's
id instead of starting a second scrape. Claims are single UPDATEs, so two
callers (two beats, two API requests) cannot both win. A lease ends when its
task does, or expires, so a task lost with its worker cannot hold a source.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from almanac.core.errors import SourceNotFound
from almanac.core.settings import Settings

HARD_LIMIT_MARGIN_SECONDS = 60
"""A task is killed this long after its soft time limit asked it to stop."""

_CLAIM = text(
    """
    UPDATE sources
    SET scrape_task_id = :task_id,
        scrape_lease_until = now() + make_interval(secs => :seconds)
    WHERE slug = :slug
      AND (scrape_task_id IS NULL OR scrape_task_id = :task_id OR scrape_lease_until < now())
    RETURNING id
    """
)
_HOLDER = text("SELECT scrape_task_id FROM sources WHERE slug = :slug")
_RELEASE = text(
    """
    UPDATE sources SET scrape_task_id = NULL, scrape_lease_until = NULL
    WHERE slug = :slug AND scrape_task_id = :task_id
    """
)


@dataclass(frozen=True, slots=True)
class Dispatch:
    task_id: str
    already_running: bool
    """True if the source was already queued or being scraped: `task_id` is that task."""


def lease_seconds(settings: Settings) -> int:
    """Long enough for a task's time in the queue and its hard time limit, twice over."""
    return 2 * (settings.task_time_limit_seconds + HARD_LIMIT_MARGIN_SECONDS)


def claim_scrape(session: Session, slug: str, task_id: str, seconds: int) -> str | None:
    """Take (or renew) the source's lease for `task_id`, committed at once.

    Returns None when taken, else the id of the task that holds it. Raises
    `SourceNotFound` for an unknown slug.
    """
    claimed = session.execute(
        _CLAIM, {"slug": slug, "task_id": task_id, "seconds": seconds}
    ).first()
    holder = None if claimed else session.execute(_HOLDER, {"slug": slug}).first()
    session.commit()
    if claimed:
        return None
    if holder is None:
        raise SourceNotFound(f"no source {slug!r}")
    return str(holder[0])


def release_scrape(session: Session, slug: str, task_id: str) -> None:
    """End the lease, if `task_id` still holds it."""
    session.execute(_RELEASE, {"slug": slug, "task_id": task_id})
    session.commit()


def dispatch_scrape(
    session: Session, slug: str, send: Callable[[str], object], seconds: int
) -> Dispatch:
    """Send a scrape of `slug` with `send(task_id)`, unless one is queued or running.

    Commits the session.
    """
    task_id = str(uuid.uuid4())
    holder = claim_scrape(session, slug, task_id, seconds)
    if holder is not None:
        return Dispatch(holder, already_running=True)
    try:
        send(task_id)
    except BaseException:
        release_scrape(session, slug, task_id)
        raise
    return Dispatch(task_id, already_running=False)
