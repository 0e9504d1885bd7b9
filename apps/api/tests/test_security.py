"""API keys on every write, CORS, the body size limit, one error shape, and refusing to
start in production without a key of the operator's own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from almanac.core.settings import get_settings
from tests.support.api_keys import AUTH

WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
def anonymous(client: TestClient) -> TestClient:
    """The same API as `client`, without its key."""
    del client.headers["Authorization"]
    return client


def _write_routes(client: TestClient) -> list[tuple[str, str]]:
    document = client.get("/openapi.json").json()
    routes = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in WRITES:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    integer = parameter["schema"].get("type") == "integer"
                    path = path.replace("{" + parameter["name"] + "}", "1" if integer else "x")
            routes.append((method.upper(), path))
    return routes


def test_the_openapi_document_lists_the_writes(anonymous: TestClient) -> None:
    routes = _write_routes(anonymous)
    for expected in [
        ("POST", "/sources"),
        ("PATCH", "/sources/x"),
        ("DELETE", "/sources/x"),
        ("POST", "/sources/preview"),
        ("POST", "/sources/x/scrape"),
        ("POST", "/venues/x/merge"),
        ("POST", "/dead-letters/1/replay"),
    ]:
        assert expected in routes


@pytest.mark.parametrize("authorization", [None, "Bearer not-the-key", "Basic YWxtYW5hYzp4"])
def test_every_write_needs_a_known_key(anonymous: TestClient, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in _write_routes(anonymous):
        response = anonymous.request(method, path, json={}, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert isinstance(response.json()["detail"], str)


def test_a_write_with_the_key_goes_through(client: TestClient) -> None:
    response = client.post("/sources/nowhere/scrape")
    assert response.status_code == 404  # past the key check, to the route


def test_any_of_several_keys_is_accepted(
    anonymous: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = AUTH["Authorization"].removeprefix("Bearer ")
    monkeypatch.setattr(get_settings(), "api_keys", f"old-key, {key}")
    for offered in ("old-key", key):
        response = anonymous.post("/sources/nowhere/scrape", headers=_bearer(offered))
        assert response.status_code == 404
    assert anonymous.post("/sources/nowhere/scrape", headers=_bearer("old")).status_code == 401


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_reads_are_public_unless_configured(
    anonymous: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert anonymous.get("/sources").status_code == 200
    monkeypatch.setattr(get_settings(), "api_reads_require_key", True)
    refused = anonymous.get("/sources")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert anonymous.get("/sources", headers=AUTH).status_code == 200
    assert anonymous.get("/health").status_code == 200  # probes stay open


def test_unknown_routes_and_methods_answer_in_the_one_shape(client: TestClient) -> None:
    missing = client.get("/no-such-thing")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    assert client.put("/sources").json() == {"detail": "Method Not Allowed"}


def test_bad_input_is_never_a_500(client: TestClient) -> None:
    for number in (2**63, 2**70):  # beyond PostgreSQL's bigint
        response = client.post(f"/dead-letters/{number}/replay")
        assert response.status_code == 422, response.text
        assert "bigint out of range" in response.json()["detail"]
    wrong_type = client.post("/sources", json=[1, 2])
    assert wrong_type.status_code == 422
    assert isinstance(wrong_type.json()["detail"], list)
    assert client.get("/events", params={"start": "yesterday-ish"}).status_code == 422


def test_a_body_over_the_limit_is_refused(client: TestClient) -> None:
    limit = get_settings().api_max_body_bytes
    response = client.post("/sources", content=b"x" * (limit + 1))
    assert response.status_code == 413
    assert str(limit) in response.json()["detail"]


def test_a_chunked_body_over_the_limit_is_refused(client: TestClient) -> None:
    limit = get_settings().api_max_body_bytes
    chunk = b"x" * 65536

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // len(chunk) + 2):
            yield chunk

    response = client.post("/sources", content=chunks())
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_a_chunked_body_under_the_limit_arrives_whole(client: TestClient) -> None:
    body = (
        b'{"slug": "river-stage", "name": "River Stage", "kind": "ical",'
        b' "url": "https://river.example/calendar.ics"}'
    )
    response = client.post(
        "/sources",
        content=iter([body[:20], body[20:]]),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def cors_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    from almanac.api.main import create_app

    monkeypatch.setenv("ALMANAC_CORS_ORIGINS", "https://calendar.example, https://city.example")
    get_settings.cache_clear()
    try:
        yield create_app()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_cors_answers_configured_origins_only(cors_app: FastAPI) -> None:
    with TestClient(cors_app) as browser:
        allowed = browser.get("/health", headers={"Origin": "https://city.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://city.example"
        other = browser.get("/health", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = browser.options(
            "/sources",
            headers={
                "Origin": "https://calendar.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


def test_no_cors_by_default(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": "https://calendar.example"})
    assert "access-control-allow-origin" not in response.headers


def _start_api(
    tmp_path: Path, *, serve: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    """Load the app (or, with `serve`, start it as the Procfile does) and see it stop."""
    command = (
        ["-m", "almanac.api.serve", "--port", "0"] if serve else ["-c", "import almanac.api.main"]
    )
    return subprocess.run(
        [sys.executable, *command],
        env=dict(os.environ) | env,
        cwd=tmp_path,  # no .env here
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("keys", ["change-me-api-key", "", "mine-1234,change-me-api-key"])
def test_production_refuses_to_start_without_a_key_of_its_own(tmp_path: Path, keys: str) -> None:
    result = _start_api(tmp_path, serve=True, ALMANAC_ENV="production", ALMANAC_API_KEYS=keys)
    assert result.returncode == 1
    assert "The Almanac API cannot start" in result.stderr
    assert "ALMANAC_API_KEYS" in result.stderr


def test_production_starts_with_a_key_of_its_own(tmp_path: Path) -> None:
    result = _start_api(tmp_path, ALMANAC_ENV="production", ALMANAC_API_KEYS="s3cret-key-42")
    assert result.returncode == 0, result.stderr


def test_development_warns_about_the_example_key(tmp_path: Path) -> None:
    result = _start_api(tmp_path, ALMANAC_ENV="development", ALMANAC_API_KEYS="change-me-api-key")
    assert result.returncode == 0, result.stderr
    assert "example key" in result.stderr


def test_an_unforeseen_error_answers_in_the_one_shape_without_its_traceback() -> None:
    from almanac.api.main import app
    from almanac.api.reads import get_reads

    def broken() -> Iterator[None]:
        raise RuntimeError("secret internals")
        yield

    app.dependency_overrides[get_reads] = broken
    try:
        with TestClient(app, raise_server_exceptions=False) as api:
            response = api.get("/sources")
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 500
    assert response.json() == {"detail": "Almanac met an unexpected error; the API's log says more"}
    assert "secret internals" not in response.text
