"""`/openapi.json` tells a client everything it needs: every operation's answer
model and its errors, and examples of what the main models look like."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

MAIN_MODELS = {
    "SourceOut",
    "SourceDisabled",
    "SourcePreviewOut",
    "TaskRunOut",
    "SourceRunOut",
    "DeadLetterOut",
    "VenueDetailOut",
    "EventOut",
    "EventDetailOut",
    "ListedOccurrenceOut",
    "OccurrencePage",
    "CategoryOut",
    "TaskAccepted",
    "TaskOut",
    "ReadinessOut",
    "ErrorOut",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from almanac.api.main import app

    with TestClient(app) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_documents_its_answer_and_its_errors(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert len(operations) >= 20
    for label, operation in operations:
        responses = operation["responses"]
        answers = [code for code in responses if code.startswith("2")]
        assert answers, f"{label} documents no successful answer"
        for code in answers:
            content = responses[code].get("content", {})
            assert content, f"{label} {code} documents no media type"
            for media_type, body in content.items():
                assert body.get("schema"), f"{label} {code} {media_type} has no schema"
        errors = [code for code in responses if code.startswith("4")]
        assert errors, f"{label} documents no error answer"
        for code in errors:
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, f"{label} {code}"
        assert {"401", "422"} <= set(responses), f"{label} leaves out 401 or 422"


def test_calendar_feeds_and_metrics_declare_their_media_types(document: dict[str, Any]) -> None:
    for path in ("/events.ics", "/sources/{slug}/events.ics", "/venues/{slug}/events.ics"):
        answers = document["paths"][path]["get"]["responses"]
        assert set(answers["200"]["content"]) == {"text/calendar"}, path
        assert "304" in answers, path
        if "{slug}" in path:
            assert "404" in answers, path
    metrics = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain; version=0.0.4; charset=utf-8"]


def test_the_main_models_carry_examples_that_fit_them(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    # Two models of one name get module-qualified names: the document reads badly.
    assert not [name for name in schemas if "__" in name]
    missing = MAIN_MODELS - set(schemas)
    assert not missing, f"not in the document: {sorted(missing)}"
    for name in sorted(MAIN_MODELS):
        examples = schemas[name].get("examples")
        assert examples, f"{name} has no example"
        schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
        for example in examples:
            jsonschema.validate(example, schema, cls=jsonschema.Draft202012Validator)
