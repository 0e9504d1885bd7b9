"""The error answers each route documents in `/openapi.json`, all `{"detail": ...}`.

`errors(404, 409)` gives a route's `responses=`; every route also documents
401 (a missing or unknown API key), 413 (a body over the limit), 422 (a
request FastAPI cannot validate) and 503 (the database does not answer)
through the app's own `responses`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ErrorOut(BaseModel):
    """An error: `detail` says what went wrong (a list of problems for a 422)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"detail": "no source 'riverside-arts'"}]}
    )

    detail: str | list[dict[str, Any]]


DESCRIPTIONS = {
    400: "The request body is not JSON",
    304: "The calendar has not changed since the `If-None-Match` or `If-Modified-Since` sent",
    401: "The request needs an API key, or the key sent is not one Almanac knows",
    404: "Nothing has this identifier",
    409: "It conflicts with what is stored",
    413: "The request body is larger than `ALMANAC_API_MAX_BODY_BYTES`",
    422: "The request's parameters or body are not valid",
    503: "A service Almanac needs does not answer",
    504: "No worker answered in time",
}


def errors(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these status codes; `descriptions` (`e404="No such venue"`) overrides."""
    answers: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        description = descriptions.get(f"e{code}", DESCRIPTIONS[code])
        if code == 304:
            answers[code] = {"description": description}
        else:
            answers[code] = {"model": ErrorOut, "description": description}
    return answers


COMMON_ERRORS = errors(401, 413, 422, 503)
