"""A source to write events for, in the test's rolled-back transaction; an engine of a
test's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from almanac.db import engine as engines
from almanac.db.models import Source


@pytest.fixture
def source(db_session: Session) -> Source:
    source = Source(slug="folk-club", name="Folk Club", kind="ical", url="https://x.example/a.ics")
    db_session.add(source)
    db_session.flush()
    return source


@pytest.fixture
def own_engine(database_url: str) -> Iterator[Engine]:
    """An engine of its own, built as Almanac builds every engine (not the cached one)."""
    engine = engines.engine_for.__wrapped__(database_url)
    try:
        yield engine
    finally:
        engine.dispose()
