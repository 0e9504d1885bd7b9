"""With `ALMANAC_LOG_FORMAT=json`, the API and the worker write one JSON object
per line, and a request's id follows it into the scrape it starts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from almanac.db.models import Source
from tests.support.api_keys import AUTH
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import free_port, start_from_procfile, wait_until
from tests.support.workers import FEED, start_worker, wait_until_idle


def _records(text: str) -> list[dict[str, Any]]:
    records = []
    for line in text.splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def test_json_lines_carry_the_request_id_from_the_api_into_the_task(
    database_url: str,
    redis_url: str,
    committed_db: None,
    engine: Engine,
    http_server: LocalHTTPServer,
    tmp_path: Path,
) -> None:
    url = http_server.serve("/folk-club.ics", FEED)
    with Session(engine) as session:
        session.add(Source(slug="folk-club", name="Folk Club", kind="ical", url=url))
        session.commit()
    port = free_port()
    settings = {"ALMANAC_LOG_FORMAT": "json", "ALMANAC_API_PORT": str(port)}
    api = start_from_procfile("api", tmp_path, dict(os.environ) | settings)
    worker = start_worker("worker", "celery", tmp_path, dict(os.environ) | settings)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(f"{base}/health"), 60, "the API")
        accepted = httpx.post(
            f"{base}/sources/folk-club/scrape", headers={"X-Request-ID": "req-json-1"} | AUTH
        )
        assert accepted.status_code == 202
        status_url = accepted.json()["status_url"]
        wait_until(lambda: httpx.get(status_url).json()["state"] == "SUCCESS", 60, "the scrape")
    finally:
        api.stop()
        worker.stop()

    access = [r for r in _records(api.output()) if r.get("logger") == "uvicorn.access"]
    assert any(r["request_id"] == "req-json-1" and "scrape" in r["message"] for r in access)

    task_id = accepted.json()["task_id"]
    task_lines = [r for r in _records(worker.output()) if r.get("task_id") == task_id]
    assert task_lines, worker.output()[-2000:]
    assert {r["request_id"] for r in task_lines} == {"req-json-1"}
    summary = [r for r in task_lines if "created" in r["message"]]
    assert summary, task_lines
    assert summary[0]["source"] == "folk-club"
    assert {"time", "level", "logger", "process", "task_name"} <= summary[0].keys()


def test_lines_from_a_crawls_threads_name_its_task_and_source(
    redis_url: str,
    committed_db: None,
    engine: Engine,
    http_server: LocalHTTPServer,
    tmp_path: Path,
) -> None:
    """A web source's event pages are read by several threads; what they log (here, the
    retries of pages that fail once) names the task and the source like the rest."""
    from almanac.worker import app

    base = http_server.base_url
    links = "".join(f'<a class="more" href="/gigs/{n}">{n}</a>' for n in range(6))
    http_server.serve("/gigs", f"<html><body>{links}</body></html>", content_type="text/html")
    for n in range(6):
        block = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "Event",
                "name": f"Gig {n}",
                "startDate": "2027-01-05T20:00",
                "url": f"{base}/gigs/{n}",
            }
        )
        page = f'<html><head><script type="application/ld+json">{block}</script></head></html>'
        http_server.serve(
            f"/gigs/{n}", page, content_type="text/html", fail_times=1, fail_status=503
        )
    with Session(engine) as session:
        session.add(
            Source(
                slug="gig-hall",
                name="Gig Hall",
                kind="jsonld",
                url=f"{base}/gigs",
                config={"detail_links": "a.more"},
            )
        )
        session.commit()
    settings = {"ALMANAC_LOG_FORMAT": "json"}
    worker = start_worker("worker", "celery", tmp_path, dict(os.environ) | settings)
    try:
        result = app.send_task("almanac.scrape_source", kwargs={"source": "gig-hall"})
        assert result.get(timeout=60)["counts"]["found"] == 6
        wait_until_idle()
    finally:
        worker.stop()
    retries = [r for r in _records(worker.output()) if r["message"].startswith("retrying")]
    assert len(retries) == 6, worker.output()[-3000:]
    assert {(r["task_id"], r["source"]) for r in retries} == {(result.id, "gig-hall")}
