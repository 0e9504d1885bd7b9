"""What is stored of the events a run found: enough to tell which changed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from almanac.db.driver import fetch_binary


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    content_hash: str
    schedule_hash: str
    input_hash: str | None
    removed: bool


def stored_events(
    session: Session, source_id: int, external_ids: list[str]
) -> dict[str, StoredEvent]:
    """The source's stored events among `external_ids`, by external id: one SELECT."""
    rows = fetch_binary(
        session,
        "SELECT external_id, id, content_hash, schedule_hash, input_hash, status = 'removed'"
        " FROM events"
        " WHERE source_id = %(source_id)b AND external_id = ANY(%(external_ids)b::text[])",
        {"source_id": source_id, "external_ids": external_ids},
    )
    return {external_id: StoredEvent(*values) for external_id, *values in rows}
