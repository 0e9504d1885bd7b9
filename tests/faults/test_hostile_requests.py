"""Hostile requests to the API: SQL metacharacters and huge values in every parameter of
every read, private addresses offered as source URLs, and writes without a key.

The reads come from the OpenAPI document, so a route or filter added later is tried
too. The API runs in this process on the test's transaction, seeded with events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from almanac.db.models import Base
from tests.support import fault_figures
from tests.support.stored_events import StoredEvents

pytestmark = pytest.mark.faults

HOSTILE_VALUES = [
    "' OR '1'='1",
    "'; DROP TABLE events; --",
    "1; SELECT pg_sleep(10) --",
    "') UNION SELECT usename, passwd FROM pg_shadow --",
    "%",
    "\\",
    "$$; DROP TABLE sources; $$",
    "\x00",
    "a\x00b",
    "😀" * 50,
    "9223372036854775808",
    "-9223372036854775809",
    "-1",
    "1" * 400,
    "NaN",
    "9999-12-31T23:59:59+14:00",
    "2026-13-45T25:61:61",
    "<script>alert(1)</script>",
    "x" * 30_000,
    ",".join(["a"] * 5_000),
]
"""Each is put, alone, in every query parameter and path parameter of every read."""

READ_ONLY_FIVE_XX = {"/health/ready": 503}
"""The one 5xx a read documents: readiness with no worker and no beat running here."""


@pytest.fixture
def seeded(db_session: Session) -> dict[str, int]:
    stored = StoredEvents(db_session)
    source = stored.source("riverside-arts", "Riverside Arts")
    venue = stored.venue("the-hall", "The Hall", "1 Main St")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    for day in range(3):
        stored.event(source, f"Concert {day}", start + timedelta(days=day), venue=venue)
    db_session.commit()
    return _row_counts(db_session)


def _row_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def _reads(client: TestClient) -> list[tuple[str, list[dict[str, Any]]]]:
    document = client.get("/openapi.json").json()
    return [
        (path, operation.get("parameters", []))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method == "get"
    ]


def _fill(path: str, parameters: list[dict[str, Any]], value: str | None) -> str:
    """`path` with its parameters named after stored rows, or all set to `value`."""
    defaults = {"slug": "riverside-arts", "event_id": "1", "task_id": "x"}
    for parameter in parameters:
        if parameter["in"] == "path":
            name = parameter["name"]
            given = defaults.get(name, "x") if value is None else value
            path = path.replace("{" + name + "}", quote(given, safe=""))
    return path


def _check(response: Any, path: str, what: str) -> None:
    status = response.status_code
    allowed_five_xx = READ_ONLY_FIVE_XX.get(path)
    assert status < 500 or status == allowed_five_xx, (
        f"{path} {what}: {status} {response.text[:300]}"
    )
    assert "Traceback" not in response.text
    assert "psycopg" not in response.text
    assert "sqlalchemy" not in response.text.lower()


def test_hostile_values_in_every_read_parameter_are_harmless(
    client: TestClient, seeded: dict[str, int], db_session: Session
) -> None:
    tried = 0
    for path, parameters in _reads(client):
        queries = [p["name"] for p in parameters if p["in"] == "query"]
        has_path_parameters = any(p["in"] == "path" for p in parameters)
        for value in HOSTILE_VALUES:
            for name in queries:
                response = client.get(_fill(path, parameters, None), params={name: value})
                _check(response, path, f"?{name}={value[:40]!r}")
                tried += 1
            if has_path_parameters:
                response = client.get(_fill(path, parameters, value))
                _check(response, path, f"path = {value[:40]!r}")
                tried += 1
        if not queries and not has_path_parameters:
            _check(client.get(path), path, "plain")
            tried += 1
    fault_figures.count("inputs_tried", tried)
    assert tried > 500
    assert _row_counts(db_session) == seeded
    assert db_session.scalar(text("SELECT count(*) FROM sources WHERE slug = 'riverside-arts'"))


def test_a_search_with_sql_in_it_finds_only_what_it_says(
    client: TestClient, seeded: dict[str, int]
) -> None:
    everything = client.get("/events").json()["items"]
    assert len(everything) == 3
    for value in ("' OR '1'='1", "%", "_", "'; DROP TABLE events; --"):
        found = client.get("/events", params={"q": value})
        assert found.status_code in (200, 422), found.text
        if found.status_code == 200:
            assert found.json()["items"] == [], value
        fault_figures.count("inputs_tried")
