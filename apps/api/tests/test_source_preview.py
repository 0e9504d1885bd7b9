"""Previewing a proposed source: a real worker reads it from the local test server,
and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almanac.db.models import Event, Feed, ScrapeRun, Source
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import Process

# The worker records each preview's task run for itself: the tables are emptied after.
pytestmark = pytest.mark.usefixtures("committed_db")


def _feed(*titles: str) -> str:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    events = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{n}@river.example\r\n"
        f"SUMMARY:{title}\r\n"
        f"DTSTART:{(start + timedelta(days=n)).strftime('%Y%m%dT%H%M%SZ')}\r\n"
        f"DTEND:{(start + timedelta(days=n, hours=2)).strftime('%Y%m%dT%H%M%SZ')}\r\n"
        "LOCATION:River Stage\r\n"
        "END:VEVENT\r\n"
        for n, title in enumerate(titles)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//River//EN\r\n{events}END:VCALENDAR\r\n"


def _nothing_written(db_session: Session) -> None:
    for model in (Source, Event, Feed, ScrapeRun):
        assert db_session.scalar(select(func.count()).select_from(model)) == 0, model


def test_a_preview_shows_the_events_a_feed_would_create(
    worker_process: Process, client: TestClient, db_session: Session, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve("/river.ics", _feed("Sea Shanty Night", "Fiddle Workshop"))
    response = client.post(
        "/sources/preview", json={"slug": "river-stage", "kind": "ical", "url": url}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["event_count"] == 2
    assert [e["title"] for e in body["events"]] == ["Sea Shanty Night", "Fiddle Workshop"]
    assert body["events"][0]["location"] == "River Stage"
    assert body["events"][0]["occurrences"][0]["timezone"]
    assert body["problems"] == []
    assert body["requests"] >= 1
    _nothing_written(db_session)


def test_a_page_that_yields_nothing_says_why(
    worker_process: Process, client: TestClient, db_session: Session, http_server: LocalHTTPServer
) -> None:
    page = "<html><body><div class='gig'><h2>Sea Shanty Night</h2></div></body></html>"
    url = http_server.serve("/shows", page, content_type="text/html; charset=utf-8")
    config = {"item": ".show", "title": "h2", "date": ".date"}
    response = client.post("/sources/preview", json={"kind": "css", "url": url, "config": config})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["event_count"], body["events"]) == (0, [])
    (problem,) = body["problems"]
    assert "'.show'" in problem["reason"]
    assert problem["item"] == url
    _nothing_written(db_session)


def test_a_page_that_cannot_be_fetched_says_so(
    worker_process: Process, client: TestClient, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve("/gone.ics", "", status=404)
    response = client.post("/sources/preview", json={"kind": "ical", "url": url})
    assert response.status_code == 200, response.text
    (problem,) = response.json()["problems"]
    assert "404" in problem["reason"]
