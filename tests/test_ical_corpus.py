"""Every iCalendar file of the shared corpus, served by the local HTTP server, ingested
through the real pipeline into PostgreSQL, and read back through `GET /events`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.domain import RunStatus, Trigger
from almanac.core.settings import get_settings
from almanac.db.models import ScrapeRun, Source
from almanac.pipeline.scrape import scrape_source
from tests.support.corpus import (
    DEVIATIONS,
    RECOVERED,
    WINDOW,
    ZONE,
    compare,
    corpus_files,
    expected,
    reference,
    seen_in_api,
)
from tests.support.http_server import LocalHTTPServer

FILES = corpus_files()
NOW = datetime(2015, 7, 2, tzinfo=UTC)
SETTINGS = get_settings().model_copy(
    update={
        "past_days": (NOW - WINDOW[0]).days,
        "horizon_days": (WINDOW[1] - NOW).days,
        "max_occurrences_per_series": 2000,
        # Every file is parsed in a child process, as large feeds are.
        "feed_parse_apart_bytes": 0,
    }
)


def _all_events(client: TestClient, slug: str) -> list[dict[str, Any]]:
    """Every occurrence of the source in the window, a year and a page at a time."""
    items: dict[int, dict[str, Any]] = {}
    start = WINDOW[0]
    while start < WINDOW[1]:
        end = min(start + timedelta(days=366), WINDOW[1])
        cursor = None
        while True:
            params = {"start": start.isoformat(), "end": end.isoformat(), "source": slug}
            page = client.get("/events", params=params | ({"cursor": cursor} if cursor else {}))
            assert page.status_code == 200, page.text
            body = page.json()
            items.update({item["id"]: item for item in body["items"]})
            cursor = body["next_cursor"]
            if cursor is None:
                break
        start = end
    return [i for i in items.values() if WINDOW[0] <= _start(i) < WINDOW[1]]


def _start(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["starts_at"])


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_feed_through_pipeline_and_api_matches_the_reference(
    path: Path,
    sessions: sessionmaker[Session],
    http_server: LocalHTTPServer,
    client: TestClient,
) -> None:
    url = http_server.serve_file("/" + path.name, path)
    with sessions() as session:
        session.add(Source(slug="corpus", name=path.name, kind="ical", url=url, timezone=ZONE.key))
        session.commit()
    summary = scrape_source(sessions, SETTINGS, "corpus", trigger=Trigger.CLI, now=NOW)
    ours = seen_in_api(_all_events(client, "corpus"))

    if not reference(path)["parse_ok"]:
        assert len(ours) == RECOVERED.get(path.name, 0), DEVIATIONS.get(path.name)
        if path.name != "non_dst_error.ics":
            assert summary.status in (RunStatus.PARTIAL, RunStatus.FAILED, RunStatus.SUSPECT)
            with sessions() as session:
                run = session.get_one(ScrapeRun, summary.run_id)
                assert run.errors, "the run must say what it could not read"
        return
    theirs, truncated = expected(path)
    only_ours, only_theirs = compare(ours, theirs, truncated, DEVIATIONS.get(path.name))
    assert (only_ours[:5], only_theirs[:5]) == ([], []), DEVIATIONS.get(path.name)
    if reference(path).get("expand_ok") is False and theirs:
        assert summary.status is RunStatus.PARTIAL
        assert summary.errors
