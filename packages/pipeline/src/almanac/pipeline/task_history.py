"""The worker's run history: each task signal folded into its task's row, in a
short transaction of its own.

A prefork worker's main process (which receives and revokes tasks) forks its
pool children from time to time; it writes through `unpooled_sessions()`, so
no open connection is ever inherited by a child.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from almanac.core.settings import Settings
from almanac.db.engine import session_factory, unpooled_engine_for
from almanac.db.task_run_queries import TaskEvent, record_task_event

__all__ = ["TaskEvent", "record", "unpooled_sessions"]


def unpooled_sessions(settings: Settings) -> sessionmaker[Session]:
    return session_factory(unpooled_engine_for(settings.database_url))


def record(sessions: sessionmaker[Session], event: TaskEvent) -> None:
    with sessions() as session:
        record_task_event(session, event)
        session.commit()
