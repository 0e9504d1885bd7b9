"""The process's database sessions, for entrypoints that run pipeline use-cases."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from almanac.db.engine import session_factory


def sessions() -> sessionmaker[Session]:
    return session_factory()
