"""Saving, changing, disabling and purging sources through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almanac.core.settings import get_settings
from almanac.db.models import Event, Occurrence, Source

CSS_CONFIG = {"item": ".show", "title": ".show__title", "date": ".show__date"}


def _new(**fields: Any) -> dict[str, Any]:
    return {
        "slug": "river-stage",
        "name": "River Stage",
        "kind": "css",
        "url": "https://river.example/shows",
        "config": CSS_CONFIG,
    } | fields


def _problems(response: Any) -> str:
    errors = response.json()["detail"]
    return " ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)


def test_a_new_source_is_saved_shown_and_planned(client: TestClient) -> None:
    created = client.post("/sources", json=_new(schedule="30 7 * * *"))
    assert created.status_code == 201, created.text
    assert created.json()["config"] == CSS_CONFIG
    assert created.json()["next_run_at"] is not None

    shown = client.get("/sources/river-stage").json()
    assert (shown["name"], shown["kind"], shown["schedule"]) == ("River Stage", "css", "30 7 * * *")
    assert shown["enabled"] is True
    assert [s["slug"] for s in client.get("/sources").json()] == ["river-stage"]


def test_a_taken_slug_is_a_conflict(client: TestClient) -> None:
    assert client.post("/sources", json=_new()).status_code == 201
    again = client.post("/sources", json=_new(name="Another"))
    assert again.status_code == 409
    assert "river-stage" in again.json()["detail"]
    assert client.get("/sources/river-stage").json()["name"] == "River Stage"


def test_a_config_its_kind_cannot_use_is_refused_naming_the_key(
    client: TestClient, db_session: Session
) -> None:
    response = client.post("/sources", json=_new(config={"item": ".show", "title": ".t"}))
    assert response.status_code == 422
    assert "body.config: css config: 'date' is missing" in _problems(response)
    assert db_session.scalar(select(func.count()).select_from(Source)) == 0


def test_bad_fields_are_refused_with_the_field_named(client: TestClient) -> None:
    response = client.post("/sources", json=_new(schedule="every day", timezone="Mars/Base"))
    assert response.status_code == 422
    problems = _problems(response)
    assert "body.schedule" in problems
    assert "body.timezone" in problems
    assert client.post("/sources", json=_new(kind="telepathy")).status_code == 422
    assert client.post("/sources", content=b"{not json").status_code == 422


def test_a_change_keeps_the_fields_left_out(client: TestClient) -> None:
    client.post("/sources", json=_new(default_categories=["music"]))
    changed = client.patch("/sources/river-stage", json={"name": "The River Stage"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["name"] == "The River Stage"
    assert (body["url"], body["config"], body["default_categories"]) == (
        "https://river.example/shows",
        CSS_CONFIG,
        ["music"],
    )


def test_a_new_schedule_replans_the_next_run(client: TestClient) -> None:
    client.post("/sources", json=_new())
    daily = datetime.fromisoformat(client.get("/sources/river-stage").json()["next_run_at"])
    changed = client.patch("/sources/river-stage", json={"schedule": "*/5 * * * *"}).json()
    planned = datetime.fromisoformat(changed["next_run_at"])
    assert planned != daily
    assert planned - datetime.now(UTC) <= timedelta(minutes=5)


def test_a_change_is_checked_like_a_new_source(client: TestClient) -> None:
    client.post("/sources", json=_new())
    wrong = client.patch("/sources/river-stage", json={"config": {"item": ".show"}})
    assert wrong.status_code == 422
    assert "'title' is missing" in _problems(wrong)
    assert client.patch("/sources/river-stage", json={"name": ""}).status_code == 422
    assert client.patch("/sources/river-stage", json={"slug": "other"}).status_code == 422
    assert client.get("/sources/river-stage").json()["config"] == CSS_CONFIG


def test_unknown_sources_are_404(client: TestClient) -> None:
    assert client.get("/sources/nowhere").status_code == 404
    assert client.patch("/sources/nowhere", json={"name": "x"}).status_code == 404
    response = client.delete("/sources/nowhere")
    assert response.status_code == 404
    assert response.json() == {"detail": "no source 'nowhere'"}


def _with_event(db_session: Session, slug: str) -> None:
    source = db_session.scalar(select(Source).where(Source.slug == slug))
    assert source is not None
    event = Event(
        source_id=source.id, external_id="gig", title="Gig", content_hash="x", schedule_hash="x"
    )
    db_session.add(event)
    db_session.flush()
    start = datetime.now(UTC) + timedelta(days=3)
    db_session.add(
        Occurrence(
            event_id=event.id,
            recurrence_key="single",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            all_day=False,
            timezone="America/New_York",
            content_hash="x",
        )
    )
    db_session.commit()


def test_delete_disables_and_keeps_the_events(client: TestClient, db_session: Session) -> None:
    client.post("/sources", json=_new())
    _with_event(db_session, "river-stage")
    response = client.delete("/sources/river-stage")
    assert response.status_code == 200
    assert (response.json()["enabled"], response.json()["events_purged"]) == (False, 0)
    shown = client.get("/sources/river-stage").json()
    assert shown["enabled"] is False
    assert shown["next_run_at"] is None
    assert db_session.scalar(select(func.count()).select_from(Event)) == 1


def test_delete_with_purge_deletes_the_events(client: TestClient, db_session: Session) -> None:
    client.post("/sources", json=_new())
    _with_event(db_session, "river-stage")
    response = client.delete("/sources/river-stage", params={"purge": "true"})
    assert response.status_code == 200
    assert response.json()["events_purged"] == 1
    assert db_session.scalar(select(func.count()).select_from(Event)) == 0
    assert db_session.scalar(select(func.count()).select_from(Occurrence)) == 0

    enabled = client.patch("/sources/river-stage", json={"enabled": True}).json()
    assert enabled["enabled"] is True
    assert enabled["next_run_at"] is not None


def test_a_preview_no_worker_answers_is_a_504(
    client: TestClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "preview_timeout_seconds", 0.5)
    response = client.post("/sources/preview", json=_new())
    assert response.status_code == 504
    assert "no worker read the source within 0.5 s" in response.json()["detail"]
    assert db_session.scalar(select(func.count()).select_from(Source)) == 0


def test_a_preview_checks_the_config_first(client: TestClient) -> None:
    response = client.post("/sources/preview", json=_new(config={"title": ".t"}))
    assert response.status_code == 422
    assert "'item' is missing" in _problems(response)
