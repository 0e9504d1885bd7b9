"""Dead letters: tasks that failed after their last retry, kept to be replayed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from almanac.db.models import DeadLetter


class DeadLetterNotFound(LookupError):
    """No dead letter has this id."""


def list_dead_letters(
    session: Session, *, include_replayed: bool = False, limit: int = 100
) -> list[DeadLetter]:
    """The newest first; those already replayed only if asked."""
    query = select(DeadLetter).order_by(DeadLetter.failed_at.desc(), DeadLetter.id.desc())
    if not include_replayed:
        query = query.where(DeadLetter.replayed_at.is_(None))
    return list(session.scalars(query.limit(limit)))


def get_dead_letter(session: Session, letter_id: int) -> DeadLetter:
    letter = session.get(DeadLetter, letter_id)
    if letter is None:
        raise DeadLetterNotFound(f"no dead letter {letter_id}")
    return letter


def mark_replayed(letter: DeadLetter, task_id: str) -> None:
    letter.replayed_at = datetime.now(UTC)
    letter.replay_task_id = task_id
