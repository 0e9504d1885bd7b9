"""The API keeps its contract: schemathesis generates requests for every operation
in `/openapi.json` and checks that none answers a server error and that every
answer has a status code, content type and body the document promises.

The app runs in this process with its database sessions inside the test's
transaction, seeded with a source, a venue and a few events so that the
requests reach the routes' happy paths as well as their errors. Every request
carries the API key, so that writes are exercised too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session, sessionmaker

from almanac.api.deps import get_session
from almanac.api.main import app
from almanac.api.reads import get_reads
from almanac.core.settings import Settings, get_settings
from almanac.db.models import DeadLetter
from tests.support.api_keys import AUTH
from tests.support.session_reads import reads_in
from tests.support.stored_events import StoredEvents

EXAMPLES_PER_OPERATION = int(os.environ.get("ALMANAC_CONTRACT_EXAMPLES", "20"))
"""Bounded so that `make test` stays quick; raise it to search harder."""
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def contract_app(sessions: sessionmaker[Session], redis_url: str) -> Iterator[dict[str, Any]]:
    """The app on the test's transaction, with a source, a venue, events and a dead
    letter to find; yields the path parameters that name them.

    `POST /sources/preview` waits for a worker to read the proposed source; no
    worker runs here, so it waits only a moment and answers its documented 504.
    """
    with sessions() as session:
        stored = StoredEvents(session)
        source = stored.source("riverside-arts", "Riverside Arts")
        venue = stored.venue("the-hall", "The Hall", "1 Main St")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        occurrences = [
            stored.event(
                source,
                f"Concert {day}",
                start + timedelta(days=day),
                venue=venue,
                categories=["music"],
                price="$10",
                url="https://riverside-arts.example/concert",
            )
            for day in range(3)
        ]
        letter = DeadLetter(
            task_id="6f1c2b0e-3d4a-4f7e-9a51-0c8d2e7b9f10",
            task_name="almanac.scrape_source",
            kwargs={"source": source.slug, "trigger": "schedule"},
            error="FetchError: 503 from riverside-arts.example",
        )
        session.add(letter)
        session.commit()
    stored_names = {
        "/sources/": {"slug": source.slug},
        "/venues/": {"slug": venue.slug},
        "/events/": {"event_id": occurrences[0].event_id},
        "/dead-letters/": {"letter_id": letter.id},
    }

    def session_in_test() -> Iterator[Session]:
        with sessions() as s:
            yield s

    quick = Settings(**{**get_settings().model_dump(), "preview_timeout_seconds": 0.05})
    app.dependency_overrides[get_session] = session_in_test
    app.dependency_overrides[get_reads] = reads_in(sessions)
    app.dependency_overrides[get_settings] = lambda: quick
    yield stored_names
    app.dependency_overrides.clear()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(
    case: schemathesis.Case[Any], contract_app: dict[str, dict[str, Any]]
) -> None:
    _call(case)
    # Generated identifiers seldom name a stored row: the same request again, naming
    # the seeded ones, reaches what the operation does with a row that exists.
    stored = next(
        (names for prefix, names in contract_app.items() if case.path.startswith(prefix)), {}
    )
    named = {key: value for key, value in stored.items() if key in case.path_parameters}
    if named:
        case.path_parameters = {**case.path_parameters, **named}
        _call(case)


def _call(case: schemathesis.Case[Any]) -> None:
    response = case.call_and_validate(headers=AUTH, checks=CHECKS)
    # A 5xx is a failure unless it is the answer the operation documents for a missing
    # worker (`/health/ready` 503, the preview's 504); a 500 never is.
    documented = case.operation.definition.raw.get("responses", {})
    if response.status_code >= 500:
        answered = f"{case.operation.label} answered {response.status_code}: {response.text[:500]}"
        assert response.status_code != 500, answered
        assert str(response.status_code) in documented, answered
