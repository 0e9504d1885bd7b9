"""A lease per source: one scrape, queued or running, at a time

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("scrape_task_id", sa.String(length=64), nullable=True))
    op.add_column(
        "sources", sa.Column("scrape_lease_until", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("sources", "scrape_lease_until")
    op.drop_column("sources", "scrape_task_id")
