"""A task's row tells its latest state whatever order its signals arrive in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from almanac.db.models import ScrapeRun, Source, TaskRun
from almanac.db.task_run_queries import (
    RunFilters,
    TaskEvent,
    list_task_runs,
    record_task_event,
    source_task_runs,
)

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
SCRAPE = "almanac.scrape_source"


def _event(state: str, minute: int, **fields: object) -> TaskEvent:
    values: dict[str, object] = {
        "task_id": "t-1",
        "task_name": SCRAPE,
        "state": state,
        "at": T0 + timedelta(minutes=minute),
        "queue": "scrape",
        "worker": "celery@one",
        "kwargs": {"source": "folk-club", "trigger": "api"},
    }
    values.update(fields)
    return TaskEvent(**values)  # type: ignore[arg-type]


def _row(db_session: Session) -> TaskRun:
    db_session.expire_all()
    return db_session.scalars(select(TaskRun).where(TaskRun.task_id == "t-1")).one()


def test_a_retried_task_is_one_row_that_ends_in_success(
    db_session: Session, source: Source
) -> None:
    for event in (
        _event("received", 0),
        _event("started", 1),
        _event("retry", 2, retries=1, runtime_seconds=1.5, error="ScrapeFailed: 503"),
        _event("started", 4, retries=1),
        _event("success", 5, retries=1, runtime_seconds=0.5),
    ):
        record_task_event(db_session, event)
    run = _row(db_session)
    assert (run.state, run.retries, run.error) == ("success", 1, None)
    assert (run.queue, run.worker, run.trigger, run.source_id) == (
        "scrape",
        "celery@one",
        "api",
        source.id,
    )
    assert run.runtime_seconds == 2.0
    assert (run.received_at, run.started_at) == (T0, T0 + timedelta(minutes=1))
    assert run.finished_at == T0 + timedelta(minutes=5)


def test_an_earlier_signal_arriving_late_does_not_undo_a_later_one(
    db_session: Session, source: Source
) -> None:
    record_task_event(db_session, _event("started", 1))
    record_task_event(db_session, _event("failure", 2, runtime_seconds=1.0, error="Boom: x"))
    record_task_event(db_session, _event("received", 0))
    run = _row(db_session)
    assert (run.state, run.error, run.received_at) == ("failure", "Boom: x", T0)
    # The retry's next attempt was received before the retry itself was recorded.
    record_task_event(db_session, _event("received", 3, task_id="t-2", retries=1))
    record_task_event(db_session, _event("retry", 2, task_id="t-2", retries=1, error="E"))
    (second,) = db_session.scalars(select(TaskRun).where(TaskRun.task_id == "t-2"))
    assert (second.state, second.retries, second.error) == ("retry", 1, "E")
    # A failure reported without its request (a worker process killed) still ends the task.
    record_task_event(db_session, _event("started", 4, task_id="t-2", retries=1))
    record_task_event(
        db_session, _event("failure", 5, task_id="t-2", retries=None, args=[], kwargs={})
    )
    db_session.refresh(second)
    assert (second.state, second.retries, second.kwargs) == (
        "failure",
        1,
        {"source": "folk-club", "trigger": "api"},
    )


def test_a_source_named_by_id_is_linked_and_runs_are_filtered(
    db_session: Session, source: Source
) -> None:
    record_task_event(db_session, _event("success", 1, kwargs={"source": str(source.id)}))
    record_task_event(
        db_session, _event("failure", 2, task_id="t-2", kwargs={"source": "nowhere"}, error="E")
    )
    record_task_event(
        db_session, _event("success", 3, task_id="t-3", task_name="almanac.scrape_all", kwargs={})
    )
    db_session.add(ScrapeRun(source_id=source.id, task_id="t-1", trigger="api", status="ok"))
    db_session.flush()

    def ids(**filters: object) -> list[str]:
        return [run.task_id for run, _ in list_task_runs(db_session, RunFilters(**filters))]  # type: ignore[arg-type]

    assert ids() == ["t-3", "t-2", "t-1"]
    assert ids(source_id=source.id) == ["t-1"]
    assert ids(failed=True) == ["t-2"]
    assert ids(task_name="almanac.scrape_all") == ["t-3"]
    assert ids(limit=1) == ["t-3"]
    ((run, scrape),) = source_task_runs(db_session, RunFilters(source_id=source.id))
    assert run.task_id == "t-1"
    assert scrape is not None
    assert scrape.status == "ok"
