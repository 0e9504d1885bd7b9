"""What is stored of the events a run found: enough to tell which changed.

Most events found are as stored, and their input hashes tell so: the first
query reads only those. The content and schedule hashes are read for the
few whose input hash differs.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from almanac.db.driver import fetch_binary

StoredEvent = tuple[int, str | None, bool]
"""(id, input hash, removed). A plain tuple, not a named one: the garbage
collector stops tracking tuples of plain values, and a run reads thousands."""


def stored_events(
    session: Session, source_id: int, external_ids: list[str]
) -> dict[str, StoredEvent]:
    """The source's stored events among `external_ids`, by external id."""
    rows = fetch_binary(
        session,
        "SELECT external_id, id, input_hash, status = 'removed' FROM events"
        " WHERE source_id = %(source_id)b AND external_id = ANY(%(external_ids)b::text[])",
        {"source_id": source_id, "external_ids": external_ids},
    )
    return {row[0]: row[1:] for row in rows}


def stored_hashes(session: Session, event_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The content and schedule hashes of these stored events, by id."""
    rows = fetch_binary(
        session,
        "SELECT id, content_hash, schedule_hash FROM events WHERE id = ANY(%(ids)b::bigint[])",
        {"ids": event_ids},
    )
    return {event_id: (content, schedule) for event_id, content, schedule in rows}


StoredInput = tuple[str | None, bool]
"""(input hash, removed) of a stored event."""


def stored_inputs(session: Session, source_id: int) -> dict[str, StoredInput]:
    """The input hash of every stored event of the source, by external id."""
    rows = fetch_binary(
        session,
        "SELECT external_id, input_hash, status = 'removed' FROM events"
        " WHERE source_id = %(source_id)b",
        {"source_id": source_id},
    )
    return {row[0]: (row[1], row[2]) for row in rows}
