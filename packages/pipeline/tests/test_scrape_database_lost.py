"""A run whose database connection is lost mid-run says the database is unavailable,
and may be tried again; the next run stores the whole feed.

The run's own connection is ended by PostgreSQL (`pg_terminate_backend`) at a chosen
statement, as when the server restarts or a proxy between drops the connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import sessionmaker

from almanac.core.domain import RunStatus, Trigger
from almanac.core.settings import get_settings
from almanac.db import engine as engines
from almanac.db.models import Event, ScrapeRun, Source
from almanac.pipeline.scrape import scrape_source
from tests.support.http_server import LocalHTTPServer

FEED = (
    Path(__file__).resolve().parents[2] / "scrapers" / "tests" / "fixtures" / "folk-club.ics"
).read_bytes()
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


@pytest.fixture
def own_engine(database_url: str, committed_db: None) -> Iterator[Engine]:
    engine = engines.engine_for.__wrapped__(database_url)
    yield engine
    engine.dispose()


def _end_connection_at(engine: Engine, marker: str) -> list[int]:
    """End the backend of the first statement that names `marker`, just before it runs;
    returns the backends ended."""
    ended: list[int] = []

    def end(connection: Connection, cursor: Any, statement: str, *args: object) -> None:
        if marker in statement and not ended:
            pid = connection.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
            ended.append(pid)
            with engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})

    event.listen(engine, "before_cursor_execute", end)
    return ended


@pytest.mark.parametrize("marker", ["venue_aliases", "UPDATE sources SET etag"])
def test_a_run_that_loses_its_connection_mid_write_may_be_tried_again_and_loses_nothing(
    own_engine: Engine, http_server: LocalHTTPServer, marker: str
) -> None:
    sessions = sessionmaker(bind=own_engine)
    url = http_server.serve("/folk-club.ics", FEED)
    with sessions() as session:
        session.add(Source(slug="folk-club", name="Folk Club", kind="ical", url=url))
        session.commit()
    ended = _end_connection_at(own_engine, marker)

    def run() -> Any:
        return scrape_source(
            sessions, get_settings(), "folk-club", trigger=Trigger.CLI, task_id="t-1", now=NOW
        )

    lost = run()
    assert ended, f"no statement named {marker}"
    assert lost.status is RunStatus.FAILED
    assert lost.message.startswith("the database is unavailable: "), lost.message
    assert lost.transient

    assert run().status is RunStatus.OK
    with sessions() as session:
        history = session.execute(
            select(ScrapeRun.status, ScrapeRun.message).order_by(ScrapeRun.id)
        )
        assert [(status, (message or "").split(":")[0]) for status, message in history] == [
            ("failed", "the database is unavailable"),
            ("ok", ""),
        ]
        assert session.scalar(select(func.count()).select_from(Event)) == 5
