"""Every error the API answers has one shape: `{"detail": ...}`.

FastAPI already answers so for `HTTPException`, unknown routes and
validation errors (a list of problems as `detail`). What is left: values the
database refuses (a number too large for its column) are the caller's
mistake, not a 500; a database that does not answer (restarting, its
connections dropped) is a 503 the caller may try again after; and an error
Almanac did not foresee still answers in the same shape, without its traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

RETRY_AFTER_SECONDS = 5
log = logging.getLogger("almanac.api")


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    reason = str(getattr(exc, "orig", exc)).splitlines()[0]
    return JSONResponse(
        {"detail": f"the database cannot take a value in this request: {reason}"},
        status_code=422,
    )


async def _database_away(request: Request, exc: Exception) -> JSONResponse:
    # The pool checks each connection before use, so the next request after the
    # database is back gets a fresh one: no restart needed.
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    log.warning("%s %s: the database does not answer: %s", request.method, request.url.path, reason)
    return JSONResponse(
        {"detail": "the database does not answer at the moment; try again shortly"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette raises the error again once this answer is sent, so the server logs it.
    return JSONResponse(
        {"detail": "Almanac met an unexpected error; the API's log says more"},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DataError, _data_error)
    for away in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(away, _database_away)
    app.add_exception_handler(Exception, _unexpected)
