"""The API over the real database (each test in a rolled-back transaction) and Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from almanac.db.models import DeadLetter, Event, Occurrence, Source

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def folk_club(db_session: Session) -> Source:
    source = Source(slug="folk-club", name="Folk Club", kind="ical", url="https://x.example/f.ics")
    db_session.add(source)
    db_session.flush()

    def add(title: str, start: datetime, hours: float = 2, **fields: object) -> None:
        event = Event(
            source_id=source.id,
            external_id=title,
            title=title,
            content_hash="x",
            schedule_hash="x",
            **{k: v for k, v in fields.items() if k != "all_day" and k != "zone"},
        )
        db_session.add(event)
        db_session.flush()
        db_session.add(
            Occurrence(
                event_id=event.id,
                recurrence_key="single",
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                all_day=bool(fields.get("all_day")),
                timezone=str(fields.get("zone", "America/New_York")),
                status=str(fields.get("status", "scheduled")),
                content_hash="x",
            )
        )

    add("Tomorrow", NOW + timedelta(days=1))
    add("Next week", NOW + timedelta(days=7))
    add("In two months", NOW + timedelta(days=60))
    add("Running now", NOW - timedelta(hours=1))
    add("Gone", NOW + timedelta(days=2), status="removed")
    add("Called off", NOW + timedelta(days=3), status="cancelled")
    add("Fair", datetime(2031, 12, 5, 5, tzinfo=UTC), hours=48, all_day=True)  # NY midnight
    db_session.flush()
    return source


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_reports_each_check_and_503_without_a_worker(client: TestClient) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"]
    assert checks["redis"]["ok"]
    assert not checks["workers"]["ok"]
    assert "no worker" in checks["workers"]["detail"]


def test_sources_show_their_health(client: TestClient, folk_club: Source) -> None:
    (source,) = client.get("/sources").json()
    assert source["slug"] == "folk-club"
    assert source["last_status"] is None
    assert source["consecutive_failures"] == 0
    assert source["next_run_at"] is None


def test_sources_show_when_they_run_next(client: TestClient, db_session: Session) -> None:
    db_session.add(
        Source(
            slug="folk-club",
            name="Folk Club",
            kind="ical",
            url="https://x.example/f.ics",
            schedule="30 7 * * *",
            next_run_at=datetime(2026, 11, 21, 12, 30, tzinfo=UTC),
        )
    )
    db_session.flush()
    (source,) = client.get("/sources").json()
    assert source["schedule"] == "30 7 * * *"
    assert datetime.fromisoformat(source["next_run_at"]) == datetime(
        2026, 11, 21, 12, 30, tzinfo=UTC
    )


def test_events_default_to_the_next_30_days(client: TestClient, folk_club: Source) -> None:
    titles = [item["event"]["title"] for item in client.get("/events").json()["items"]]
    assert titles[:3] == ["Running now", "Tomorrow", "Called off"]
    assert "Next week" in titles
    assert "In two months" not in titles
    assert "Gone" not in titles


def test_events_overlapping_a_window(client: TestClient, folk_club: Source) -> None:
    start = (NOW + timedelta(days=6)).isoformat()
    end = (NOW + timedelta(days=61)).isoformat()
    body = client.get("/events", params={"start": start, "end": end}).json()
    assert [i["event"]["title"] for i in body["items"]] == ["Next week", "In two months"]


def test_cancelled_occurrences_are_shown_and_marked(client: TestClient, folk_club: Source) -> None:
    items = client.get("/events").json()["items"]
    (called_off,) = [i for i in items if i["event"]["title"] == "Called off"]
    assert called_off["status"] == "cancelled"


def test_all_day_occurrences_carry_their_dates(client: TestClient, folk_club: Source) -> None:
    body = client.get(
        "/events", params={"start": "2031-12-04T00:00:00Z", "end": "2031-12-08T00:00:00Z"}
    ).json()
    (fair,) = [i for i in body["items"] if i["event"]["title"] == "Fair"]
    assert fair["all_day"]
    assert (fair["start_date"], fair["end_date"]) == (
        "2031-12-05",
        "2031-12-07",
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-12-10T00:00:00Z", "end": "2026-12-01T00:00:00Z"}, "end must be after"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2027-06-01T00:00:00Z"}, "at most 366 days"),
    ],
)
def test_bad_window_is_a_422_with_a_message(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/events", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_unparseable_date_is_a_422(client: TestClient) -> None:
    assert client.get("/events", params={"start": "next tuesday"}).status_code == 422


def test_scrape_unknown_source_is_404(client: TestClient) -> None:
    response = client.post("/sources/nowhere/scrape")
    assert response.status_code == 404
    assert response.json() == {"detail": "no source 'nowhere'"}


def test_scrape_returns_202_with_a_task_to_follow(client: TestClient, folk_club: Source) -> None:
    response = client.post("/sources/folk-club/scrape")
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    assert response.json()["status_url"].endswith(f"/tasks/{task_id}")
    assert client.get(f"/tasks/{task_id}").json()["state"] == "PENDING"


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "/events" in client.get("/openapi.json").json()["paths"]


def test_pages_follow_each_other_without_gaps_or_repeats(
    client: TestClient, folk_club: Source
) -> None:
    window = {"start": NOW.isoformat(), "end": (NOW + timedelta(days=90)).isoformat()}
    everything = [i["id"] for i in client.get("/events", params=window).json()["items"]]
    seen: list[int] = []
    cursor = None
    while True:
        page = client.get(
            "/events", params=window | {"limit": 2} | ({"cursor": cursor} if cursor else {})
        ).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    assert len(everything) > 2


def test_events_of_one_source(client: TestClient, folk_club: Source) -> None:
    items = client.get("/events", params={"source": "folk-club"}).json()["items"]
    assert items
    assert {i["event"]["source"] for i in items} == {"folk-club"}


@pytest.mark.parametrize(
    ("params", "message"),
    [({"source": "nowhere"}, "unknown source nowhere"), ({"cursor": "zzz"}, "cursor")],
)
def test_unknown_source_or_cursor_is_a_422(
    client: TestClient, folk_club: Source, params: dict[str, str], message: str
) -> None:
    response = client.get("/events", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_a_second_scrape_request_names_the_task_already_sent(
    client: TestClient, folk_club: Source
) -> None:
    first = client.post("/sources/folk-club/scrape").json()
    second = client.post("/sources/folk-club/scrape")
    assert second.status_code == 202
    assert second.json()["task_id"] == first["task_id"]
    assert (first["already_running"], second.json()["already_running"]) == (False, True)


def test_dead_letters_are_listed_and_replayed(client: TestClient, db_session: Session) -> None:
    letter = DeadLetter(
        task_id="lost-1",
        task_name="almanac.scrape_source",
        kwargs={"source": "folk-club"},
        error="ScrapeFailed: folk-club: the server answered 503 (after 3 retries)",
        retries=3,
    )
    db_session.add(letter)
    db_session.flush()
    (listed,) = client.get("/dead-letters").json()
    assert (listed["task_name"], listed["kwargs"], listed["retries"]) == (
        "almanac.scrape_source",
        {"source": "folk-club"},
        3,
    )
    replay = client.post(f"/dead-letters/{letter.id}/replay")
    assert replay.status_code == 202
    assert client.get("/dead-letters").json() == []
    (replayed,) = client.get("/dead-letters", params={"replayed": "true"}).json()
    assert replayed["replay_task_id"] == replay.json()["task_id"]


def test_replaying_an_unknown_dead_letter_is_404(client: TestClient) -> None:
    response = client.post("/dead-letters/999999/replay")
    assert response.status_code == 404
    assert response.json() == {"detail": "no dead letter 999999"}


def test_every_answer_carries_a_request_id(client: TestClient) -> None:
    made_up = client.get("/health").headers["X-Request-ID"]
    assert len(made_up) == 32
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == (
        "abc-123"
    )
    odd = client.get("/health", headers={"X-Request-ID": "<script> and spaces"})
    assert odd.headers["X-Request-ID"] != "<script> and spaces"


def _queued_message(redis_url: str, task_id: str) -> dict[str, object]:
    import json

    import redis

    broker = redis.Redis.from_url(redis_url)
    try:
        for key in broker.scan_iter("scrape*"):
            if broker.type(key) != b"list":
                continue
            for raw in broker.lrange(key, 0, -1):
                message = json.loads(raw)
                if message["headers"]["id"] == task_id:
                    broker.lrem(key, 1, raw)
                    return dict(message["headers"])
    finally:
        broker.close()
    raise AssertionError(f"task {task_id} is not in the scrape queue")


def test_a_scrape_started_from_the_api_carries_the_request_id(
    client: TestClient, folk_club: Source, redis_url: str
) -> None:
    accepted = client.post("/sources/folk-club/scrape", headers={"X-Request-ID": "req-42"})
    assert accepted.status_code == 202
    headers = _queued_message(redis_url, accepted.json()["task_id"])
    assert headers["almanac_request_id"] == "req-42"


def test_ready_reports_beats_heartbeat(client: TestClient, redis_url: str) -> None:
    import time

    import redis

    from almanac.core.heartbeat import BEAT_HEARTBEAT_KEY

    broker = redis.Redis.from_url(redis_url)
    try:
        broker.delete(BEAT_HEARTBEAT_KEY)
        beat = client.get("/health/ready").json()["checks"]["beat"]
        assert not beat["ok"]
        assert "never" in beat["detail"]

        broker.set(BEAT_HEARTBEAT_KEY, str(time.time() - 5))
        beat = client.get("/health/ready").json()["checks"]["beat"]
        assert beat["ok"], beat
        assert beat["last_seen_at"].endswith("Z")

        broker.set(BEAT_HEARTBEAT_KEY, str(time.time() - 3600))
        beat = client.get("/health/ready").json()["checks"]["beat"]
        assert not beat["ok"]
        assert beat["detail"].startswith("beat's last heartbeat was 36")
    finally:
        broker.delete(BEAT_HEARTBEAT_KEY)
        broker.close()
