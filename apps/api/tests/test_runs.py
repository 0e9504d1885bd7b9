"""Run history, source health and metrics over the real database and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from almanac.db.models import ScrapeRun, Source, TaskRun

NOW = datetime.now(UTC)
SCRAPE = "almanac.scrape_source"


@pytest.fixture
def history(db_session: Session) -> Source:
    folk = Source(slug="folk-club", name="Folk Club", kind="ical", url="https://x.example/f.ics")
    jazz = Source(slug="jazz-bar", name="Jazz Bar", kind="ical", url="https://x.example/j.ics")
    db_session.add_all([folk, jazz])
    db_session.flush()
    db_session.add_all(
        [
            TaskRun(
                task_id="old-ok",
                task_name=SCRAPE,
                state="success",
                queue="scrape",
                source_id=folk.id,
                kwargs={"source": "folk-club"},
                created_at=NOW - timedelta(days=3),
                finished_at=NOW - timedelta(days=3),
                runtime_seconds=2.0,
            ),
            TaskRun(
                task_id="jazz-failed",
                task_name=SCRAPE,
                state="failure",
                queue="scrape",
                retries=2,
                source_id=jazz.id,
                error="ScrapeFailed: jazz-bar: HTTP 503",
                created_at=NOW - timedelta(hours=2),
                finished_at=NOW - timedelta(hours=1),
                runtime_seconds=4.0,
            ),
            TaskRun(
                task_id="daily",
                task_name="almanac.scrape_all",
                state="success",
                queue="default",
                created_at=NOW - timedelta(minutes=30),
                finished_at=NOW - timedelta(minutes=30),
                runtime_seconds=0.5,
            ),
            TaskRun(
                task_id="folk-now",
                task_name=SCRAPE,
                state="started",
                queue="scrape",
                source_id=folk.id,
                created_at=NOW - timedelta(minutes=1),
            ),
            ScrapeRun(
                source_id=folk.id,
                task_id="old-ok",
                trigger="schedule",
                status="ok",
                events_found=7,
                events_created=5,
                events_updated=2,
            ),
        ]
    )
    folk.scrape_task_id = "folk-now"
    folk.scrape_lease_until = NOW + timedelta(minutes=10)
    folk.next_run_at = NOW + timedelta(hours=5)
    jazz.last_status, jazz.last_error, jazz.consecutive_failures = "failed", "HTTP 503", 3
    db_session.flush()
    return folk


def _ids(client: TestClient, **params: str) -> list[str]:
    response = client.get("/runs", params=params)
    assert response.status_code == 200, response.text
    return [run["task_id"] for run in response.json()]


def test_runs_are_listed_newest_first_and_filtered(client: TestClient, history: Source) -> None:
    assert _ids(client) == ["folk-now", "daily", "jazz-failed", "old-ok"]
    assert _ids(client, source="folk-club") == ["folk-now", "old-ok"]
    assert _ids(client, task="almanac.scrape_all") == ["daily"]
    assert _ids(client, state="started") == ["folk-now"]
    assert _ids(client, queue="default") == ["daily"]
    assert _ids(client, failed="true") == ["jazz-failed"]
    assert _ids(client, since=(NOW - timedelta(days=1)).isoformat()) == [
        "folk-now",
        "daily",
        "jazz-failed",
    ]
    assert _ids(client, limit="2") == ["folk-now", "daily"]
    (failed,) = client.get("/runs", params={"failed": "true"}).json()
    assert (failed["source"], failed["retries"], failed["error"]) == (
        "jazz-bar",
        2,
        "ScrapeFailed: jazz-bar: HTTP 503",
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"state": "exploded"}, "unknown state 'exploded'"),
        ({"source": "nowhere"}, "unknown source 'nowhere'"),
        ({"limit": "501"}, "less than or equal to 500"),
        ({"limit": "0"}, "greater than or equal to 1"),
        ({"since": "yesterday-ish"}, "datetime"),
        ({"failed": "perhaps"}, "boolean"),
    ],
)
def test_bad_filters_are_refused_with_a_reason(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/runs", params=params)
    assert response.status_code == 422
    assert message in response.text


def test_a_source_s_runs_carry_their_scrape_outcome(client: TestClient, history: Source) -> None:
    runs = client.get("/sources/folk-club/runs").json()
    assert [(r["task_id"], r["state"]) for r in runs] == [
        ("folk-now", "started"),
        ("old-ok", "success"),
    ]
    assert runs[0]["scrape"] is None
    scrape = runs[1]["scrape"]
    assert (scrape["status"], scrape["events_found"], scrape["events_created"]) == ("ok", 7, 5)
    assert scrape["events_updated"] == 2


def test_a_source_s_runs_are_filtered_like_all_runs(client: TestClient, history: Source) -> None:
    done = client.get("/sources/folk-club/runs", params={"state": "success"}).json()
    assert [r["task_id"] for r in done] == ["old-ok"]
    assert done[0]["scrape"]["status"] == "ok"
    assert client.get("/sources/folk-club/runs", params={"failed": "true"}).json() == []
    recent = client.get(
        "/sources/folk-club/runs", params={"since": (NOW - timedelta(days=1)).isoformat()}
    ).json()
    assert [r["task_id"] for r in recent] == ["folk-now"]
    bad = client.get("/sources/folk-club/runs", params={"state": "exploded"})
    assert bad.status_code == 422
    assert "unknown state 'exploded'" in bad.text


def test_runs_of_an_unknown_source_are_404(client: TestClient) -> None:
    response = client.get("/sources/nowhere/runs")
    assert response.status_code == 404
    assert response.json() == {"detail": "no source 'nowhere'"}


def test_sources_show_their_health(client: TestClient, history: Source) -> None:
    folk, jazz = client.get("/sources").json()
    assert folk["health"]["running_task_id"] == "folk-now"
    assert folk["health"]["next_run_at"] is not None
    assert jazz["health"] == {
        "last_outcome": "failed",
        "last_run_at": None,
        "consecutive_failures": 3,
        "last_event_count": None,
        "last_good_event_count": None,
        "suspect": False,
        "reason": "HTTP 503",
        "next_run_at": None,
        "running_task_id": None,
    }


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.lrem("scrape", 0, "test-one")
    client.lrem("scrape\x06\x166", 0, "test-two")
    client.close()


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_metrics_count_every_priority_list_of_a_queue(
    client: TestClient, redis_client: redis.Redis
) -> None:
    def waiting(queue: str) -> float:
        return _samples(client)[("almanac_queue_length", (("queue", queue),))]

    before = {queue: waiting(queue) for queue in ("scrape", "default")}
    redis_client.lpush("scrape", "test-one")
    redis_client.lpush("scrape\x06\x166", "test-two", "test-two")
    assert waiting("scrape") == before["scrape"] + 3
    assert waiting("default") == before["default"]


def test_metrics_parse_and_carry_the_history(client: TestClient, history: Source) -> None:
    samples = _samples(client)

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("almanac_task_runs_total", task=SCRAPE, source="jazz-bar", state="failure") == 1
    assert value("almanac_task_runs_total", task="almanac.scrape_all", source="", state="success")
    assert value("almanac_task_runtime_seconds_count", task=SCRAPE, source="jazz-bar") == 1
    assert (
        value("almanac_task_runtime_seconds", task=SCRAPE, source="jazz-bar", quantile="0.5") == 4
    )
    assert value("almanac_events_written_total", source="folk-club", change="created") == 5
    assert value("almanac_events_written_total", source="folk-club", change="updated") == 2
    assert value("almanac_scrape_runs_total", source="folk-club", status="ok") == 1
    assert value("almanac_source_consecutive_failures", source="jazz-bar") == 3
    # The folk club's task still running has no runtime yet: only the finished one counts.
    assert value("almanac_task_runtime_seconds_count", task=SCRAPE, source="folk-club") == 1
