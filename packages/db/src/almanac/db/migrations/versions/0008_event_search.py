"""Full-text search over events' titles and descriptions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_events_search ON events USING gin "
        "(to_tsvector('english'::regconfig, (title || ' ') || coalesce(description, '')))"
    )


def downgrade() -> None:
    op.drop_index("ix_events_search", table_name="events")
