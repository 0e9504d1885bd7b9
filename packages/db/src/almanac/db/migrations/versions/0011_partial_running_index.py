"""The index of what runs at a moment holds only occurrences longer than a day;
shorter ones running at a moment are found by their start, a day back at most

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_occurrences_running", table_name="occurrences")
    op.execute(
        "CREATE INDEX ix_occurrences_running ON occurrences USING gist "
        "(tstzrange(starts_at, ends_at, '()')) WHERE ends_at - starts_at > interval '1 day'"
    )


def downgrade() -> None:
    op.drop_index("ix_occurrences_running", table_name="occurrences")
    op.execute(
        "CREATE INDEX ix_occurrences_running ON occurrences USING gist "
        "(tstzrange(starts_at, greatest(starts_at, ends_at), '()'))"
    )
