"""Keep an occurrence's own title

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:14:23.699083
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('occurrences', sa.Column('title', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('occurrences', 'title')
