"""Record ingest health, the parsed window and more run counts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:59:24.202911
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('scrape_runs', sa.Column('events_cancelled', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.add_column('scrape_runs', sa.Column('duration_seconds', sa.Float(), nullable=True))
    op.add_column('sources', sa.Column('health_reason', sa.Text(), nullable=True))
    op.add_column('sources', sa.Column('parsed_window_start', sa.DateTime(timezone=True), nullable=True))
    op.add_column('sources', sa.Column('parsed_window_end', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('sources', 'parsed_window_end')
    op.drop_column('sources', 'parsed_window_start')
    op.drop_column('sources', 'health_reason')
    op.drop_column('scrape_runs', 'duration_seconds')
    op.drop_column('scrape_runs', 'events_cancelled')
