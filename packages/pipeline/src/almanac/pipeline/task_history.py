"""The worker's run history: each task signal folded into its task's row, in a
short transaction of its own.

A worker's main process (which receives and revokes tasks) forks its
pool processes from time to time; a forked process starts with empty pools
(`almanac.db.engine`), so both keep their connections open between events.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from almanac.db.task_run_queries import TaskEvent, record_task_event

__all__ = ["TaskEvent", "record"]


def record(sessions: sessionmaker[Session], event: TaskEvent) -> None:
    with sessions() as session:
        record_task_event(session, event)
        session.commit()
