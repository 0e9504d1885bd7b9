"""Indexes for a list's page: occurrences by start then id, and those running at a moment

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 05:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_occurrences_running ON occurrences USING gist "
        "(tstzrange(starts_at, greatest(starts_at, ends_at), '()'))"
    )
    op.create_index("ix_occurrences_starts_at_id", "occurrences", ["starts_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_occurrences_starts_at_id", table_name="occurrences")
    op.drop_index("ix_occurrences_running", table_name="occurrences")
