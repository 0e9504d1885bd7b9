"""Create the tables of the data model

Revision ID: 0001
Revises:
Create Date: 2026-11-21 23:34:35.374165
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dead_letters',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('task_id', sa.String(length=64), nullable=False),
    sa.Column('task_name', sa.Text(), nullable=False),
    sa.Column('args', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('kwargs', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('traceback', sa.Text(), nullable=True),
    sa.Column('retries', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replay_task_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letters'))
    )
    op.create_index(op.f('ix_dead_letters_failed_at'), 'dead_letters', ['failed_at'], unique=False)
    op.create_index(op.f('ix_dead_letters_task_id'), 'dead_letters', ['task_id'], unique=False)
    op.create_table('sources',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('config', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('schedule', sa.Text(), nullable=True),
    sa.Column('timezone', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('default_categories', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.String(length=20), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_event_count', sa.Integer(), nullable=True),
    sa.Column('last_good_event_count', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('ical', 'jsonld', 'tribe', 'css', 'ical_links', 'vanwezel', 'mote')", name=op.f('ck_sources_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources')),
    sa.UniqueConstraint('slug', name=op.f('uq_sources_slug'))
    )
    op.create_index(op.f('ix_sources_next_run_at'), 'sources', ['next_run_at'], unique=False)
    op.create_table('venues',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venues')),
    sa.UniqueConstraint('slug', name=op.f('uq_venues_slug'))
    )
    op.create_table('feeds',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('source_id', sa.BigInteger(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('last_fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.String(length=20), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_feeds_source_id_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feeds')),
    sa.UniqueConstraint('source_id', 'url', name=op.f('uq_feeds_source_id_url'))
    )
    op.create_table('scrape_runs',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('source_id', sa.BigInteger(), nullable=False),
    sa.Column('task_id', sa.String(length=64), nullable=True),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'running'"), nullable=False),
    sa.Column('requests', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('bytes', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('events_found', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('events_created', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('events_updated', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('events_unchanged', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('events_removed', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.CheckConstraint("status IN ('running', 'ok', 'not_modified', 'partial', 'suspect', 'failed')", name=op.f('ck_scrape_runs_status')),
    sa.CheckConstraint("trigger IN ('schedule', 'api', 'cli')", name=op.f('ck_scrape_runs_trigger')),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_scrape_runs_source_id_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scrape_runs'))
    )
    op.create_index('ix_scrape_runs_source_id_started_at', 'scrape_runs', ['source_id', 'started_at'], unique=False)
    op.create_index(op.f('ix_scrape_runs_task_id'), 'scrape_runs', ['task_id'], unique=False)
    op.create_table('venue_aliases',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('venue_id', sa.BigInteger(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_venue_aliases_venue_id_venues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venue_aliases')),
    sa.UniqueConstraint('alias', name=op.f('uq_venue_aliases_alias'))
    )
    op.create_index(op.f('ix_venue_aliases_venue_id'), 'venue_aliases', ['venue_id'], unique=False)
    op.create_table('events',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('source_id', sa.BigInteger(), nullable=False),
    sa.Column('feed_id', sa.BigInteger(), nullable=True),
    sa.Column('external_id', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('image_url', sa.Text(), nullable=True),
    sa.Column('venue_id', sa.BigInteger(), nullable=True),
    sa.Column('location_text', sa.Text(), nullable=True),
    sa.Column('categories', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
    sa.Column('price', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'scheduled'"), nullable=False),
    sa.Column('sequence', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('schedule_hash', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('scheduled', 'cancelled', 'postponed', 'removed')", name=op.f('ck_events_status')),
    sa.ForeignKeyConstraint(['feed_id'], ['feeds.id'], name=op.f('fk_events_feed_id_feeds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_events_source_id_sources'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_events_venue_id_venues'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('source_id', 'external_id', name=op.f('uq_events_source_id_external_id'))
    )
    op.create_index(op.f('ix_events_feed_id'), 'events', ['feed_id'], unique=False)
    op.create_index('ix_events_source_id_status', 'events', ['source_id', 'status'], unique=False)
    op.create_index(op.f('ix_events_venue_id'), 'events', ['venue_id'], unique=False)
    op.create_table('occurrences',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('recurrence_key', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('all_day', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('timezone', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'scheduled'"), nullable=False),
    sa.Column('previous_starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('scheduled', 'cancelled', 'postponed', 'removed')", name=op.f('ck_occurrences_status')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_occurrences_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_occurrences')),
    sa.UniqueConstraint('event_id', 'recurrence_key', name=op.f('uq_occurrences_event_id_recurrence_key'))
    )
    op.create_index('ix_occurrences_starts_at_ends_at', 'occurrences', ['starts_at', 'ends_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_occurrences_starts_at_ends_at', table_name='occurrences')
    op.drop_table('occurrences')
    op.drop_index(op.f('ix_events_venue_id'), table_name='events')
    op.drop_index('ix_events_source_id_status', table_name='events')
    op.drop_index(op.f('ix_events_feed_id'), table_name='events')
    op.drop_table('events')
    op.drop_index(op.f('ix_venue_aliases_venue_id'), table_name='venue_aliases')
    op.drop_table('venue_aliases')
    op.drop_index(op.f('ix_scrape_runs_task_id'), table_name='scrape_runs')
    op.drop_index('ix_scrape_runs_source_id_started_at', table_name='scrape_runs')
    op.drop_table('scrape_runs')
    op.drop_table('feeds')
    op.drop_table('venues')
    op.drop_index(op.f('ix_sources_next_run_at'), table_name='sources')
    op.drop_table('sources')
    op.drop_index(op.f('ix_dead_letters_task_id'), table_name='dead_letters')
    op.drop_index(op.f('ix_dead_letters_failed_at'), table_name='dead_letters')
    op.drop_table('dead_letters')
