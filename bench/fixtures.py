"""Rows the bench needs: fresh iCalendar and web sources, and a large database to fill.

Plain SQL on the tables' columns, so the bench does not depend on how the
pipeline's own helpers create sources.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, text

_numbers = itertools.count(1)


def new_source(engine: Engine, url: str, label: str) -> str:
    """A source that has never been fetched; returns its slug."""
    slug = f"bench-{label}-{os.getpid()}-{next(_numbers)}"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sources (slug, name, kind, url, timezone)"
                " VALUES (:slug, :name, 'ical', :url, 'America/New_York')"
            ),
            {"slug": slug, "name": f"Bench {label}", "url": url},
        )
    return slug


def new_web_source(engine: Engine, url: str, label: str, config: Mapping[str, object]) -> str:
    """A `jsonld` source that has never been fetched; returns its slug."""
    slug = f"bench-{label}-{os.getpid()}-{next(_numbers)}"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sources (slug, name, kind, url, timezone, config)"
                " VALUES (:slug, :name, 'jsonld', :url, 'America/New_York',"
                "         CAST(:config AS jsonb))"
            ),
            {"slug": slug, "name": f"Bench {label}", "url": url, "config": json.dumps(config)},
        )
    return slug


def stored_events(engine: Engine, slugs: list[str]) -> int:
    """How many events the sources with these slugs have in the database."""
    with engine.connect() as conn:
        count = conn.execute(
            text(
                "SELECT count(*) FROM events AS e JOIN sources AS s ON s.id = e.source_id"
                " WHERE s.slug = ANY(:slugs)"
            ),
            {"slugs": slugs},
        ).scalar_one()
    return int(count)


def preload_occurrences(
    engine: Engine, now: datetime, *, sources: int, events_per_source: int, per_event: int
) -> int:
    """Fill other sources with events and occurrences, set-based; returns the occurrences made."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sources (slug, name, kind, url, timezone, last_status)"
                " SELECT 'preload-' || g, 'Preloaded source ' || g, 'ical',"
                "        'http://preload.invalid/' || g || '.ics', 'America/New_York', 'ok'"
                " FROM generate_series(1, :sources) AS g"
            ),
            {"sources": sources},
        )
        conn.execute(
            text(
                "INSERT INTO events (source_id, external_id, title, description,"
                "                    location_text, status, content_hash, schedule_hash)"
                " SELECT s.id, 'preload-' || s.id || '-' || g || '@almanac.example',"
                "        'Preloaded event ' || g, repeat('A preloaded description. ', 8),"
                "        'Somewhere in Sarasota, FL', 'scheduled',"
                "        md5(s.id || '-' || g) || md5(g || '-' || s.id),"
                "        md5(g || 'schedule') || md5(s.id || 'schedule')"
                " FROM sources AS s CROSS JOIN generate_series(1, :per_source) AS g"
                " WHERE s.slug LIKE 'preload-%'"
            ),
            {"per_source": events_per_source},
        )
        result = conn.execute(
            text(
                "INSERT INTO occurrences (event_id, recurrence_key, starts_at, ends_at,"
                "                         all_day, timezone, status, content_hash)"
                " SELECT e.id, to_char(t.starts_at AT TIME ZONE 'UTC',"
                '                      \'YYYY-MM-DD"T"HH24:MI:SS"Z"\'),'
                "        t.starts_at, t.starts_at + interval '2 hours', false,"
                "        'America/New_York', 'scheduled', md5(e.id || '-' || k) || md5(k || '')"
                " FROM events AS e"
                " JOIN sources AS s ON s.id = e.source_id AND s.slug LIKE 'preload-%'"
                " CROSS JOIN generate_series(0, :per_event - 1) AS k"
                " CROSS JOIN LATERAL (SELECT CAST(:now AS timestamptz)"
                "     + make_interval(days => ((e.id * 7 + k * 29) % 360)::int,"
                "                     hours => ((e.id + k) % 12)::int) AS starts_at) AS t"
            ),
            {"per_event": per_event, "now": now},
        )
        made = result.rowcount
    settle(engine)
    return made


def settle(engine: Engine) -> None:
    """Vacuum and analyze what the runs wrote, as autovacuum does between ingests: the
    statistics current, and the visibility map too, so that scans of an index that
    carries what they read need not visit the table."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE sources, events, occurrences"))


def preload_dense_month(
    engine: Engine, start: datetime, *, events: int, per_event: int
) -> tuple[str, int]:
    """One source with `events` events, each `per_event` times within 30 days of `start`.

    Returns the source's slug and the occurrences made.
    """
    slug = f"bench-dense-{os.getpid()}-{next(_numbers)}"
    with engine.begin() as conn:
        source_id = conn.execute(
            text(
                "INSERT INTO sources (slug, name, kind, url, timezone, last_status)"
                " VALUES (:slug, 'A busy month', 'ical', 'http://dense.invalid/feed.ics',"
                "         'America/New_York', 'ok') RETURNING id"
            ),
            {"slug": slug},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO events (source_id, external_id, title, description,"
                "                    location_text, status, content_hash, schedule_hash)"
                " SELECT :source_id, 'dense-' || g || '@almanac.example',"
                "        'Festival session ' || g, repeat('A busy month of events. ', 8),"
                "        'Downtown Sarasota, FL', 'scheduled',"
                "        md5('dense-' || g) || md5(g || '-dense'),"
                "        md5(g || 'dense schedule') || md5('dense schedule' || g)"
                " FROM generate_series(1, :events) AS g"
            ),
            {"source_id": source_id, "events": events},
        )
        result = conn.execute(
            text(
                "INSERT INTO occurrences (event_id, recurrence_key, starts_at, ends_at,"
                "                         all_day, timezone, status, content_hash)"
                " SELECT e.id, to_char(t.starts_at AT TIME ZONE 'UTC',"
                '                      \'YYYY-MM-DD"T"HH24:MI:SS"Z"\'),'
                "        t.starts_at, t.starts_at + interval '90 minutes', false,"
                "        'America/New_York', 'scheduled', md5(e.id || '-d-' || k) || md5(k || 'd')"
                " FROM events AS e"
                " CROSS JOIN generate_series(0, :per_event - 1) AS k"
                " CROSS JOIN LATERAL (SELECT CAST(:start AS timestamptz)"
                "     + make_interval(days => (k * 3)::int, hours => (e.id % 12)::int,"
                "                     mins => ((e.id * 7) % 60)::int) AS starts_at) AS t"
                " WHERE e.source_id = :source_id"
            ),
            {"source_id": source_id, "per_event": per_event, "start": start},
        )
        made = result.rowcount
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE sources, events, occurrences"))
    return slug, made
