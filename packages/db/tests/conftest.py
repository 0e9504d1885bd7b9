"""A source to write events for, in the test's rolled-back transaction."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from almanac.db.models import Source


@pytest.fixture
def source(db_session: Session) -> Source:
    source = Source(slug="folk-club", name="Folk Club", kind="ical", url="https://x.example/a.ics")
    db_session.add(source)
    db_session.flush()
    return source
