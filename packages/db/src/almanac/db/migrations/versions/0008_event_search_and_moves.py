"""Full-text search over events' titles and descriptions; every move of an occurrence

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
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
    op.create_table(
        "occurrence_moves",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("occurrence_id", sa.BigInteger(), nullable=False),
        sa.Column("previous_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "moved_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["occurrences.id"],
            name=op.f("fk_occurrence_moves_occurrence_id_occurrences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occurrence_moves")),
    )
    op.create_index(
        op.f("ix_occurrence_moves_occurrence_id"), "occurrence_moves", ["occurrence_id"]
    )
    # The latest move of each occurrence moved before its history was kept.
    op.execute(
        "INSERT INTO occurrence_moves (occurrence_id, previous_starts_at, starts_at, moved_at) "
        "SELECT id, previous_starts_at, starts_at, updated_at FROM occurrences "
        "WHERE previous_starts_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_occurrence_moves_occurrence_id"), table_name="occurrence_moves")
    op.drop_table("occurrence_moves")
    op.drop_index("ix_events_search", table_name="events")
