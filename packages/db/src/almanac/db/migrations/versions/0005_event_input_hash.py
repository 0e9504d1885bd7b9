"""Remember a digest of each event as found, to skip comparing unchanged ones

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("input_hash", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("events", "input_hash")
