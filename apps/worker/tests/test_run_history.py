"""Tasks run by a real worker leave their history, read back through the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.result import AsyncResult
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from almanac.db.models import Source
from almanac.worker import app
from tests.support.api_keys import AUTH
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import Process, wait_until

FEED = (
    Path(__file__).resolve().parents[3]
    / "packages"
    / "scrapers"
    / "tests"
    / "fixtures"
    / "folk-club.ics"
).read_bytes()
SCRAPE = "almanac.scrape_source"


@pytest.fixture
def api(committed_db: None, redis_url: str) -> Iterator[TestClient]:
    """The API reading what the worker committed."""
    from almanac.api.main import app as api_app

    with TestClient(api_app, headers=AUTH) as client:
        yield client


def _add_source(engine: Engine, slug: str, url: str) -> None:
    with Session(engine) as session:
        session.add(Source(slug=slug, name=slug.title(), kind="ical", url=url))
        session.commit()


def _finished_run(api: TestClient, task_id: str) -> dict[str, Any]:
    """The task's row once the worker has recorded how it ended."""
    found: dict[str, Any] = {}

    def finished() -> bool:
        for run in api.get("/runs", params={"limit": "500"}).json():
            if run["task_id"] == task_id and run["finished_at"] is not None:
                found.update(run)
                return True
        return False

    wait_until(finished, 30, f"task {task_id} to be recorded as finished")
    return found


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_scrape_shows_in_the_run_history_and_the_metrics(
    worker_process: Process, api: TestClient, engine: Engine, http_server: LocalHTTPServer
) -> None:
    _add_source(engine, "river-stage", http_server.serve("/folk-club.ics", FEED))
    task_id = api.post("/sources/river-stage/scrape").json()["task_id"]
    assert AsyncResult(task_id, app=app).get(timeout=60)["status"] == "ok"

    run = _finished_run(api, task_id)
    assert (run["task_name"], run["state"], run["queue"]) == (SCRAPE, "success", "scrape")
    assert (run["source"], run["trigger"], run["retries"], run["error"]) == (
        "river-stage",
        "api",
        0,
        None,
    )
    assert run["worker"].startswith("celery@")
    assert run["kwargs"] == {"source": "river-stage", "trigger": "api"}
    assert 0 < run["runtime_seconds"] < 60
    assert run["received_at"] <= run["started_at"] <= run["finished_at"]
    assert [r["task_id"] for r in api.get("/runs", params={"source": "river-stage"}).json()] == [
        task_id
    ]
    assert api.get("/runs", params={"source": "river-stage", "failed": "true"}).json() == []
    assert api.get("/runs", params={"source": "river-stage", "queue": "default"}).json() == []

    (mine,) = api.get("/sources/river-stage/runs").json()
    assert (mine["task_id"], mine["state"]) == (task_id, "success")
    scrape = mine["scrape"]
    assert scrape["status"] == "ok"
    assert scrape["events_found"] > 0
    assert scrape["events_created"] == scrape["events_found"]

    (source,) = api.get("/sources").json()
    assert source["health"]["last_outcome"] == "ok"
    assert source["health"]["consecutive_failures"] == 0
    assert source["health"]["last_event_count"] == scrape["events_found"]
    assert source["health"]["running_task_id"] is None

    response = api.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.text)

    def value(name: str, **labels: str) -> float:
        return samples[(name, frozenset(labels.items()))]

    assert value("almanac_task_runs_total", task=SCRAPE, source="river-stage", state="success") == 1
    assert value("almanac_scrape_runs_total", source="river-stage", status="ok") == 1
    assert value("almanac_scrape_failures_total", source="river-stage") == 0
    assert (
        value("almanac_events_written_total", source="river-stage", change="created")
        == scrape["events_created"]
    )
    assert value("almanac_task_runtime_seconds_count", task=SCRAPE, source="river-stage") == 1
    assert value(
        "almanac_task_runtime_seconds_sum", task=SCRAPE, source="river-stage"
    ) == pytest.approx(run["runtime_seconds"])
    assert value("almanac_queue_length", queue="scrape") >= 0
    assert value("almanac_source_consecutive_failures", source="river-stage") == 0


def test_a_failing_source_shows_its_failure_retries_and_health(
    worker_process: Process, api: TestClient, engine: Engine, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve("/silent-organ.ics", FEED, fail_times=1000, fail_status=503)
    _add_source(engine, "silent-organ", url)
    result = app.send_task(SCRAPE, kwargs={"source": "silent-organ"})
    with pytest.raises(Exception, match="503"):
        result.get(timeout=60)

    run = _finished_run(api, result.id)
    assert (run["state"], run["retries"], run["source"], run["trigger"]) == (
        "failure",
        2,
        "silent-organ",
        None,
    )
    assert run["error"].startswith("ScrapeFailed: silent-organ:")
    assert "503" in run["error"]
    assert "after 2 retries" in run["error"]
    failed = api.get("/runs", params={"failed": "true", "source": "silent-organ"}).json()
    assert [r["task_id"] for r in failed] == [result.id]

    (mine,) = api.get("/sources/silent-organ/runs").json()
    assert mine["scrape"]["status"] == "failed"
    assert "503" in mine["scrape"]["message"]

    (source,) = api.get("/sources").json()
    health = source["health"]
    assert (health["last_outcome"], health["consecutive_failures"]) == ("failed", 3)
    assert "503" in health["reason"]

    samples = _samples(api.get("/metrics").text)
    task_runs = ("almanac_task_runs_total", {"task": SCRAPE, "source": "silent-organ"})
    assert samples[(task_runs[0], frozenset({**task_runs[1], "state": "failure"}.items()))] == 1
    assert samples[("almanac_scrape_failures_total", frozenset({("source", "silent-organ")}))] == 3
    consecutive = ("almanac_source_consecutive_failures", frozenset({("source", "silent-organ")}))
    assert samples[consecutive] == 3


def test_a_task_for_no_known_source_is_kept_without_one(
    worker_process: Process, api: TestClient
) -> None:
    result = app.send_task(SCRAPE, kwargs={"source": "nowhere"})
    with pytest.raises(Exception, match="no source 'nowhere'"):
        result.get(timeout=30)
    run = _finished_run(api, result.id)
    assert (run["state"], run["source"], run["kwargs"]) == (
        "failure",
        None,
        {"source": "nowhere"},
    )
    assert "no source 'nowhere'" in run["error"]


def test_a_retried_task_is_one_run_that_counts_its_retry(
    worker_process: Process, api: TestClient, engine: Engine, http_server: LocalHTTPServer
) -> None:
    # Three 503s: every fetch of the first attempt fails, the retry's succeeds.
    url = http_server.serve("/flaky.ics", FEED, fail_times=3, fail_status=503)
    _add_source(engine, "flaky-hall", url)
    result = app.send_task(SCRAPE, kwargs={"source": "flaky-hall", "trigger": "cli"})
    assert result.get(timeout=60)["status"] == "ok"

    run = _finished_run(api, result.id)
    assert (run["state"], run["retries"], run["error"], run["trigger"]) == (
        "success",
        1,
        None,
        "cli",
    )
    assert [r["task_id"] for r in api.get("/runs", params={"source": "flaky-hall"}).json()] == [
        result.id
    ]
    (mine,) = api.get("/sources/flaky-hall/runs").json()
    assert mine["scrape"]["status"] == "ok"
    (source,) = api.get("/sources").json()
    assert (source["health"]["last_outcome"], source["health"]["consecutive_failures"]) == (
        "ok",
        0,
    )


def test_a_revoked_task_is_kept_as_revoked(worker_process: Process, api: TestClient) -> None:
    result = app.send_task("almanac.health_check", countdown=2)

    def state() -> str | None:
        for run in api.get("/runs", params={"limit": "500"}).json():
            if run["task_id"] == result.id:
                return str(run["state"])
        return None

    wait_until(lambda: state() == "received", 30, "the worker to receive the task")
    result.revoke()
    wait_until(lambda: state() == "revoked", 30, "the task to be recorded as revoked")
    (run,) = api.get("/runs", params={"state": "revoked", "task": "almanac.health_check"}).json()
    assert (run["task_name"], run["queue"], run["started_at"]) == (
        "almanac.health_check",
        "default",
        None,
    )
    assert run["error"] == "revoked"
