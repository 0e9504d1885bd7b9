"""What a source's runs left in the database, read back to compare two sources that
read the same feed: one undisturbed, one whose runs were broken on purpose."""

from __future__ import annotations

from sqlalchemy import Engine, text

Rows = list[tuple[object, ...]]

_EVENT_ROWS = text(
    "SELECT e.external_id, e.title, e.status, e.content_hash, e.schedule_hash "
    "FROM events e JOIN sources s ON s.id = e.source_id WHERE s.slug = :slug"
)
_OCCURRENCE_ROWS = text(
    "SELECT e.external_id, o.recurrence_key, o.starts_at, o.ends_at, o.status "
    "FROM occurrences o JOIN events e ON e.id = o.event_id "
    "JOIN sources s ON s.id = e.source_id WHERE s.slug = :slug"
)


def add_ical_source(engine: Engine, slug: str, url: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO sources (slug, name, kind, url) VALUES (:slug, :name, 'ical', :url)"),
            {"slug": slug, "name": slug, "url": url},
        )


def stored(engine: Engine, slug: str) -> tuple[Rows, Rows]:
    """The source's events and occurrences, sorted, without ids or times of writing."""
    with engine.connect() as connection:
        events = sorted(tuple(r) for r in connection.execute(_EVENT_ROWS, {"slug": slug}))
        occurrences = sorted(tuple(r) for r in connection.execute(_OCCURRENCE_ROWS, {"slug": slug}))
    return events, occurrences


def run_history(engine: Engine, slug: str) -> list[tuple[str, str | None]]:
    """The status and message of each of the source's runs, oldest first."""
    return [(status, message) for status, message, _ in _runs(engine, slug)]


def run_task_ids(engine: Engine, slug: str) -> list[str]:
    """The task of each of the source's runs, oldest first."""
    return [str(task_id) for _, _, task_id in _runs(engine, slug)]


def _runs(engine: Engine, slug: str) -> list[tuple[str, str | None, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT r.status, r.message, r.task_id FROM scrape_runs r JOIN sources s "
                "ON s.id = r.source_id WHERE s.slug = :slug ORDER BY r.id"
            ),
            {"slug": slug},
        )
        return [(status, message, task_id) for status, message, task_id in rows]
