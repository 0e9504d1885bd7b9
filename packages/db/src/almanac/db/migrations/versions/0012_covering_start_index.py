"""The index on (starts_at, id) also carries ends_at, status and event_id, so that
finding a list's page reads the index alone, not a table page per candidate; the
index on (starts_at, ends_at), which it now does the work of, goes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 11:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_occurrences_starts_at_ends_at", table_name="occurrences")
    op.drop_index("ix_occurrences_starts_at_id", table_name="occurrences")
    op.create_index(
        "ix_occurrences_starts_at_id",
        "occurrences",
        ["starts_at", "id"],
        postgresql_include=["ends_at", "status", "event_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_occurrences_starts_at_id", table_name="occurrences")
    op.create_index("ix_occurrences_starts_at_id", "occurrences", ["starts_at", "id"])
    op.create_index("ix_occurrences_starts_at_ends_at", "occurrences", ["starts_at", "ends_at"])
