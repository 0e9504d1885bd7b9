"""Every error the API answers has one shape: `{"detail": ...}`.

FastAPI already answers so for `HTTPException`, unknown routes and
validation errors (a list of problems as `detail`). What is left: values the
database refuses (a number too large for its column) are the caller's
mistake, not a 500; and an error Almanac did not foresee still answers in the
same shape, without its traceback.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    reason = str(getattr(exc, "orig", exc)).splitlines()[0]
    return JSONResponse(
        {"detail": f"the database cannot take a value in this request: {reason}"},
        status_code=422,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette raises the error again once this answer is sent, so the server logs it.
    return JSONResponse(
        {"detail": "Almanac met an unexpected error; the API's log says more"},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)
