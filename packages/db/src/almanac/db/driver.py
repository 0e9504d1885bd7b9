"""Statements sent through psycopg directly, for those that carry many values.

psycopg quotes every element of an array passed in text format, which costs
more than the query when a run passes the ten thousand external ids it
found; in binary format it does not. These statements run on the session's
own connection, in its transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, LiteralString

import psycopg
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
