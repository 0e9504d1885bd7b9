"""Loading many rows with one binary COPY, through the session's psycopg connection.

The rows are sent as the iterable yields them, so PostgreSQL stores the
first while Python still builds the last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import Copy, sql
from sqlalchemy.orm import Session

from almanac.db.driver import driver_connection


@dataclass(frozen=True, slots=True)
class CopyTarget:
    """A table and the columns rows give, each with its PostgreSQL type."""

    table: str
    columns: tuple[tuple[str, str], ...]


EVENT_CONTENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "text"),
    ("description", "text"),
    ("url", "text"),
    ("image_url", "text"),
    ("location_text", "text"),
    ("categories", "text[]"),
    ("price", "text"),
    ("status", "text"),
    ("content_hash", "text"),
    ("schedule_hash", "text"),
    ("input_hash", "text"),
)
"""What an event row says, in the order new and changed events are copied."""


def copy_rows(session: Session, target: CopyTarget, rows: Iterable[Sequence[Any]]) -> None:
    """COPY `rows` into the target table, in the session's transaction."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(target.table),
        sql.SQL(", ").join(sql.Identifier(name) for name, _ in target.columns),
    )
    with driver_connection(session).cursor() as cursor:
        # Each row's foreign key is checked by a query of PostgreSQL's own, which
        # Almanac's `force_custom_plan` (see `engine.SESSION_OPTIONS`) would plan
        # again for every row: for the rest of this transaction, it keeps its plan.
        cursor.execute("SET LOCAL plan_cache_mode = auto")
        with cursor.copy(statement) as copy:
            _write(copy, target, rows)


def _write(copy: Copy, target: CopyTarget, rows: Iterable[Sequence[Any]]) -> None:
    copy.set_types([type_ for _, type_ in target.columns])
    write = copy.write_row
    for row in rows:
        write(row)
