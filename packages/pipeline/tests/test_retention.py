"""Pruning on the real database: what is older than its retention goes, the rest stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.settings import get_settings
from almanac.db.models import DeadLetter, ScrapeRun, Source, TaskRun
from almanac.pipeline.retention import prune

NOW = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def test_prune_deletes_runs_and_dead_letters_past_their_retention(
    sessions: sessionmaker[Session],
) -> None:
    settings = get_settings().model_copy(
        update={"run_retention_days": 90, "dead_letter_retention_days": 30}
    )
    with sessions() as session:
        source = Source(slug="folk", name="Folk", kind="ical", url="https://f.example/a.ics")
        session.add(source)
        session.flush()
        for days in (91, 120, 89, 1):
            session.add(
                ScrapeRun(
                    source_id=source.id,
                    trigger="schedule",
                    status="ok",
                    started_at=NOW - timedelta(days=days),
                )
            )
        for days in (31, 29):
            session.add(
                DeadLetter(
                    task_id=f"task-{days}",
                    task_name="almanac.scrape_source",
                    error="gone",
                    failed_at=NOW - timedelta(days=days),
                )
            )
        for days in (100, 2):
            session.add(
                TaskRun(
                    task_id=f"run-{days}",
                    task_name="almanac.scrape_source",
                    state="success",
                    updated_at=NOW - timedelta(days=days),
                )
            )
        session.commit()

    assert prune(sessions, settings, now=NOW) == {
        "scrape_runs": 2,
        "task_runs": 1,
        "dead_letters": 1,
    }

    with sessions() as session:
        kept_runs = session.scalars(select(ScrapeRun.started_at)).all()
        assert sorted(NOW - started for started in kept_runs) == [
            timedelta(days=1),
            timedelta(days=89),
        ]
        assert session.scalars(select(DeadLetter.task_id)).all() == ["task-29"]
        assert session.scalars(select(TaskRun.task_id)).all() == ["run-2"]
    assert prune(sessions, settings, now=NOW) == {
        "scrape_runs": 0,
        "task_runs": 0,
        "dead_letters": 0,
    }
