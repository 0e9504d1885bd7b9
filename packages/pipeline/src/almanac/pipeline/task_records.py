"""What the worker's tasks keep in the database besides runs: source leases and
dead letters, each in a short transaction of its own."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from almanac.core.settings import Settings
from almanac.db.dead_letter_queries import (
    get_dead_letter,
    list_dead_letters,
    mark_replayed,
)
from almanac.db.models import DeadLetter
from almanac.db.scrape_leases import (
    HARD_LIMIT_MARGIN_SECONDS,
    Dispatch,
    claim_scrape,
    dispatch_scrape,
    lease_seconds,
    release_scrape,
)

__all__ = [
    "HARD_LIMIT_MARGIN_SECONDS",
    "DeadLetter",
    "Dispatch",
    "claim_lease",
    "dead_letters",
    "keep_dead_letter",
    "release_lease",
    "replay_dead_letter",
    "send_scrape",
]


def claim_lease(
    sessions: sessionmaker[Session], settings: Settings, slug: str, task_id: str
) -> str | None:
    """Take the source's lease for `task_id`; the id of the task holding it otherwise."""
    with sessions() as session:
        return claim_scrape(session, slug, task_id, lease_seconds(settings))


def release_lease(sessions: sessionmaker[Session], slug: str, task_id: str) -> None:
    with sessions() as session:
        release_scrape(session, slug, task_id)


def send_scrape(
    sessions: sessionmaker[Session], settings: Settings, slug: str, send: Callable[[str], object]
) -> Dispatch:
    """`send(task_id)` a scrape of `slug` unless one is already queued or running."""
    with sessions() as session:
        return dispatch_scrape(session, slug, send, lease_seconds(settings))


def keep_dead_letter(sessions: sessionmaker[Session], letter: DeadLetter) -> int:
    """Store a task that failed for good; returns the dead letter's id."""
    with sessions() as session:
        session.add(letter)
        session.commit()
        return letter.id


def dead_letters(sessions: sessionmaker[Session], *, include_replayed: bool) -> list[DeadLetter]:
    with sessions() as session:
        letters = list_dead_letters(session, include_replayed=include_replayed)
        session.expunge_all()
        return letters


def replay_dead_letter(
    sessions: sessionmaker[Session], letter_id: int, send: Callable[[DeadLetter], str]
) -> str:
    """Send the dead letter's task again with its arguments; returns the new task's id."""
    with sessions() as session:
        letter = get_dead_letter(session, letter_id)
        task_id = send(letter)
        mark_replayed(letter, task_id)
        session.commit()
        return task_id
