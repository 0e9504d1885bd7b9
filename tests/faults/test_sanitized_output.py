"""Script in what sources say never comes out of Almanac: a description with <script>,
event handlers and `javascript:` links is served sanitized in the JSON and as plain text
in the `.ics` feeds, and links that are not http(s) are dropped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from celery.result import AsyncResult
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from almanac.core import tasks
from almanac.db.models import Source
from tests.support import fault_figures
from tests.support.fault_suite import HostileServers
from tests.support.processes import Process

pytestmark = pytest.mark.faults

HOSTILE_HTML = (
    "<p>Live <b>jazz</b> tonight.</p>"
    "<script>alert('feed')</script>"
    "<img src=x onerror=alert(1)>"
    '<a href="javascript:alert(2)">tickets</a> '
    '<a href="https://tickets.example/jazz" onclick="steal()">book</a>'
    '<iframe src="https://evil.example/frame"></iframe>'
    "<style>body{display:none}</style>"
    '<svg onload="alert(3)"><circle r="1"/></svg>'
    '<p style="background:url(javascript:alert(4))" onmouseover="alert(5)">Doors at 7</p>'
)
DANGEROUS = (
    "<script",
    "alert(",
    "onerror",
    "onclick",
    "onload",
    "onmouseover",
    "javascript:",
    "<iframe",
    "<style",
    "<svg",
    "style=",
    "steal(",
)


def _ical_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def _feed(start: datetime) -> bytes:
    stamp = start.strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Hostile Hall//EN",
        "BEGIN:VEVENT",
        "UID:hostile-jazz@hall.example",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{stamp}",
        "SUMMARY:Jazz night",
        f"DESCRIPTION:{_ical_text(HOSTILE_HTML)}",
        "URL:javascript:alert(6)",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def _page(start: datetime) -> bytes:
    event = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": "Poetry slam",
        "startDate": start.isoformat(),
        "description": HOSTILE_HTML,
        "url": "javascript:alert(7)",
        "image": "data:text/html,<script>alert(8)</script>",
        "location": {"@type": "Place", "name": "The Hall"},
    }
    script = json.dumps(event).replace("</", "<\\/")
    return (
        f'<html><head><script type="application/ld+json">{script}</script></head>'
        "<body><h1>Poetry slam</h1></body></html>"
    ).encode()


def _scrape(engine: Engine, slug: str, kind: str, url: str) -> None:
    from almanac.worker import app

    with Session(engine) as session:
        session.add(Source(slug=slug, name=slug.title(), kind=kind, url=url))
        session.commit()
    sent = app.send_task(tasks.SCRAPE_SOURCE, kwargs={"source": slug, "trigger": "cli"})
    result = AsyncResult(sent.id, app=app).get(timeout=60)
    assert result["status"] == "ok", result
    assert result["counts"]["found"] == 1, result


def test_script_in_descriptions_comes_out_sanitized(
    fault_worker: Process,
    hostile_servers: HostileServers,
    engine: Engine,
    committed_db: None,
    client: TestClient,
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    site = hostile_servers.site
    _scrape(engine, "hostile-hall", "ical", site.serve("/hostile.ics", _feed(start)))
    _scrape(
        engine,
        "hostile-page",
        "jsonld",
        site.serve("/hostile.html", _page(start), content_type="text/html; charset=utf-8"),
    )

    items = client.get("/events").json()["items"]
    assert len(items) == 2
    for item in items:
        event = item["event"]
        description = event["description"]
        for sign in DANGEROUS:
            assert sign not in description.lower(), (sign, description)
        assert "<b>jazz</b>" in description
        assert "Doors at 7" in description
        assert 'href="https://tickets.example/jazz"' in description
        assert event["url"] is None
        assert event["image_url"] is None
        detail = client.get(f"/events/{event['id']}").json()
        assert detail["description"] == description
        fault_figures.count("inputs_tried")

    feed = client.get("/events.ics")
    assert feed.status_code == 200
    unfolded = feed.text.replace("\r\n ", "")
    for sign in DANGEROUS:
        assert sign not in unfolded.lower(), sign
    assert "<" not in "".join(
        line for line in unfolded.splitlines() if line.startswith("DESCRIPTION")
    )
    assert "Live jazz tonight." in unfolded
    assert "book (https://tickets.example/jazz)" in unfolded
    fault_figures.count("faults_injected", 2)
    fault_figures.count("faults_survived", 2)
