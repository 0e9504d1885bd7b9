"""The process's database sessions, for entrypoints that run pipeline use-cases."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from almanac.db.engine import session_factory


def sessions() -> sessionmaker[Session]:
    return session_factory()


def unavailable_reason(error: DBAPIError) -> str:
    """What a run or a task says when it could not reach its database, or lost it."""
    return f"the database is unavailable: {error.orig or error}"
