"""The API's reads on a test's own sessions, so that the event list sees what a test
stored inside its transaction (which the reads engine's connections cannot)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from almanac.api.reads import Reads

P = ParamSpec("P")
T = TypeVar("T")


class SessionReads:
    """`Reads` run in place on a session's connection."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def run(
        self, read: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return read(self._session.connection(), *args, **kwargs)


def reads_in(sessions: sessionmaker[Session]) -> Callable[[], AsyncIterator[Reads]]:
    """A stand-in for `get_reads` whose reads run on a session of `sessions`."""

    async def reads() -> AsyncIterator[Reads]:
        with sessions() as session:
            yield SessionReads(session)

    return reads
