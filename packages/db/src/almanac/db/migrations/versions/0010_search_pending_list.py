"""A larger pending list for the events' search index, so a large feed's first run
adds its words there and leaves merging them to autovacuum

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER INDEX ix_events_search SET (gin_pending_list_limit = 16384)")


def downgrade() -> None:
    op.execute("ALTER INDEX ix_events_search RESET (gin_pending_list_limit)")
