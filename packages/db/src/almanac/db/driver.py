"""Statements sent through psycopg directly: those that carry many values, and the
event list's page.

psycopg quotes every element of an array passed in text format, which costs
more than the query when a run passes the ten thousand external ids it
found; in binary format it does not. A list's page is a short read whose
rows SQLAlchemy's result would cost more to wrap than the query takes. These
statements run on the session's (or connection's) own connection, in its
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, LiteralString

import psycopg
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def driver_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session's, in the same transaction."""
    driver = session.connection().connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError(f"expected a psycopg connection, not {type(driver).__name__}")
    return driver


def fetch_binary(
    session: Session, query: LiteralString, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """All rows of `query`, its parameters (`%(name)b`) and results in binary format."""
    with driver_connection(session).cursor(binary=True) as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def fetch_rows(
    connection: Connection, query: str, params: Mapping[str, Any], *, prepare: bool
) -> list[tuple[Any, ...]]:
    """All rows of `query` as plain tuples, on the connection's own cursor.

    With `prepare`, the statement is prepared on the connection and planned
    once there (on a connection whose `plan_cache_mode` lets PostgreSQL keep a
    generic plan): only for a statement one plan serves for every value.
    Errors are raised as SQLAlchemy raises its statements' errors, for their
    handlers (a 4xx for a value the database refuses, a 503 when it is away).
    """
    failure = connection.dialect.loaded_dbapi.Error
    cursor = connection.connection.cursor()
    try:
        with _prepared_if(connection, prepare):
            cursor.execute(query, params)
            return list(cursor.fetchall())
    except failure as exc:
        raise DBAPIError.instance(query, None, exc, failure) from exc
    finally:
        cursor.close()


@contextmanager
def _prepared_if(connection: Connection, prepare: bool) -> Iterator[None]:
    """psycopg prepares what runs inside if `prepare`, and nothing else."""
    driver = connection.connection.driver_connection
    if not isinstance(driver, psycopg.Connection | psycopg.AsyncConnection):
        raise TypeError(f"expected a psycopg connection, not {type(driver).__name__}")
    before = driver.prepare_threshold
    driver.prepare_threshold = 0 if prepare else None
    try:
        yield
    finally:
        driver.prepare_threshold = before
