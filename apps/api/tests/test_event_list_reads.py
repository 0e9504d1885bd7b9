"""GET /events as the running API serves it: on the event loop, through the reads
engine's own connections, over events other processes committed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.support.stored_events import StoredEvents

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)


@pytest.fixture
def committed_city(engine: Engine, committed_db: None) -> None:
    with Session(engine) as session:
        rows = StoredEvents(session)
        folk, jazz = rows.source("folk-club"), rows.source("jazz-bar")
        hall = rows.venue("town-hall", "Town Hall")
        for day in range(1, 8):
            rows.event(folk, f"Folk {day}", NOW + day * DAY, venue=hall)
            rows.event(jazz, f"Jazz {day}", NOW + day * DAY + timedelta(hours=1))
        rows.event(folk, "Festival week", NOW - 2 * DAY, hours=24 * 5)
        rows.event(jazz, "Called off", NOW + 3 * DAY, status="cancelled")
        session.commit()


@pytest.fixture
def api(committed_city: None) -> Iterator[TestClient]:
    from almanac.api.main import app

    with TestClient(app) as client:
        yield client


def _walk(api: TestClient, query: str) -> list[str]:
    """Every title of the list, page after page of three."""
    titles: list[str] = []
    cursor = ""
    for _ in range(20):
        body = api.get(f"/events?limit=3{query}{cursor}").json()
        titles += [item["title"] for item in body["items"]]
        if not body["next_cursor"]:
            return titles
        cursor = f"&cursor={body['next_cursor']}"
    raise AssertionError("the pages never ended")


def test_pages_of_committed_events_come_in_order_once_each(api: TestClient) -> None:
    titles = _walk(api, "")
    # By start, then by id: "Called off" starts with "Folk 3" and was stored after it.
    expected = ["Festival week"] + [
        title
        for day in range(1, 8)
        for title in (f"Folk {day}", *(["Called off"] if day == 3 else []), f"Jazz {day}")
    ]
    # Again, now that the plain window's statements are prepared on the connections.
    assert titles == expected
    assert _walk(api, "") == expected


def test_filters_and_refusals_hold_on_the_loop(api: TestClient) -> None:
    assert _walk(api, "&source=jazz-bar&status=cancelled") == ["Called off"]
    assert _walk(api, "&venue=town-hall") == [f"Folk {day}" for day in range(1, 8)]
    assert _walk(api, "&source=folk-club,jazz-bar&q=festival") == ["Festival week"]
    response = api.get("/events?source=nowhere")
    assert (response.status_code, response.json()) == (422, {"detail": "unknown source nowhere"})
