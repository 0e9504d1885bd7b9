"""Per-source schedules on the real database: next run times, claiming due sources."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.settings import Settings, get_settings
from almanac.core.sources import SourceSpec
from almanac.db.models import Source
from almanac.db.scrape_leases import claim_scrape
from almanac.pipeline.due_runs import dispatch_due, plan_next_daily_run
from almanac.pipeline.sources import import_sources

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC)  # 07:00:30 in New York


@pytest.fixture
def settings() -> Settings:
    return get_settings()


def _spec(slug: str, schedule: str | None = None, **more: object) -> SourceSpec:
    return SourceSpec.model_validate(
        {"slug": slug, "name": slug, "kind": "ical", "url": f"https://{slug}.example/a.ics"}
        | {"schedule": schedule}
        | more
    )


def _next_runs(sessions: sessionmaker[Session]) -> dict[str, datetime | None]:
    with sessions() as session:
        rows = session.execute(select(Source.slug, Source.next_run_at))
        return {slug: when for slug, when in rows}


def _add(sessions: sessionmaker[Session], slug: str, schedule: str | None, due: datetime) -> None:
    with sessions() as session:
        session.add(
            Source(
                slug=slug,
                name=slug,
                kind="ical",
                url=f"https://{slug}.example/a.ics",
                schedule=schedule,
                next_run_at=due,
            )
        )
        session.commit()


class Sent:
    """A stand-in broker send that records what would have been put on the queue."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, slug: str, task_id: str) -> None:
        with self._lock:
            self.tasks.append((slug, task_id))


def test_saving_a_source_gives_it_its_next_run(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    import_sources(
        sessions,
        settings,
        [
            _spec("berlin-club", "30 7 * * *", timezone="Europe/Berlin"),
            _spec("daily-hall"),
            _spec("closed-hall", "30 7 * * *", enabled=False),
        ],
    )
    now = datetime.now(UTC)
    runs = _next_runs(sessions)
    berlin = runs["berlin-club"]
    daily = runs["daily-hall"]
    assert berlin is not None
    assert daily is not None
    assert (berlin.astimezone(BERLIN).hour, berlin.astimezone(BERLIN).minute) == (7, 30)
    assert now < berlin <= now + timedelta(days=1)
    assert daily.astimezone(NEW_YORK).time().isoformat() == "06:00:00"  # the city's daily run
    assert now < daily <= now + timedelta(days=1)
    assert runs["closed-hall"] is None


def test_saving_again_keeps_a_run_that_is_due_until_the_schedule_changes(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    import_sources(sessions, settings, [_spec("folk", "0 * * * *")])
    with sessions() as session:
        session.execute(update(Source).values(next_run_at=NOW))
        session.commit()
    assert import_sources(sessions, settings, [_spec("folk", "0 * * * *")]).unchanged == 1
    assert _next_runs(sessions)["folk"] == NOW
    import_sources(sessions, settings, [_spec("folk", "15 * * * *")])
    moved = _next_runs(sessions)["folk"]
    assert moved is not None
    assert moved > datetime.now(UTC)
    assert moved.minute == 15


def test_due_sources_are_sent_once_and_move_on_to_their_next_time(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    _add(sessions, "due", "*/15 * * * *", NOW - timedelta(minutes=1))
    _add(sessions, "later", "*/15 * * * *", NOW + timedelta(minutes=10))
    _add(sessions, "daily", None, NOW - timedelta(minutes=1))  # the daily run's, not ours
    sent = Sent()
    result = dispatch_due(sessions, settings, sent, now=NOW)
    assert [slug for slug, _ in sent.tasks] == ["due"]
    assert result.sent == {"due": sent.tasks[0][1]}
    runs = _next_runs(sessions)
    assert runs["due"] == datetime(2026, 11, 20, 7, 15, tzinfo=NEW_YORK)
    assert runs["later"] == NOW + timedelta(minutes=10)
    again = dispatch_due(sessions, settings, sent, now=NOW + timedelta(seconds=30))
    assert again.due == []
    assert len(sent.tasks) == 1


def test_a_source_already_running_is_not_sent_twice(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    _add(sessions, "busy", "*/15 * * * *", NOW - timedelta(minutes=1))
    with sessions() as session:
        assert claim_scrape(session, "busy", "api-task", 600) is None
    sent = Sent()
    result = dispatch_due(sessions, settings, sent, now=NOW)
    assert sent.tasks == []
    assert result.already_running == {"busy": "api-task"}
    assert _next_runs(sessions)["busy"] == datetime(2026, 11, 20, 7, 15, tzinfo=NEW_YORK)


def test_a_scrape_that_cannot_be_sent_stays_due(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    due_at = NOW - timedelta(minutes=1)
    _add(sessions, "folk", "*/15 * * * *", due_at)

    def broker_away(slug: str, task_id: str) -> None:
        raise ConnectionError("Redis is unreachable")

    result = dispatch_due(sessions, settings, broker_away, now=NOW)
    assert result.failed == {"folk": "ConnectionError: Redis is unreachable"}
    assert _next_runs(sessions)["folk"] == due_at
    sent = Sent()
    assert set(dispatch_due(sessions, settings, sent, now=NOW).sent) == {"folk"}  # lease freed


def test_an_enabled_source_without_a_next_run_gets_one(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions() as session:
        session.add(Source(slug="folk", name="Folk", kind="ical", url="https://f.example/a.ics"))
        session.commit()
    result = dispatch_due(sessions, settings, Sent(), now=NOW)
    assert result.planned == 1
    assert _next_runs(sessions)["folk"] == datetime(2026, 11, 21, 6, 0, tzinfo=NEW_YORK)


def test_the_daily_run_moves_its_sources_to_tomorrow(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    _add(sessions, "daily", None, NOW - timedelta(hours=1))
    _add(sessions, "own", "*/15 * * * *", NOW - timedelta(hours=1))
    plan_next_daily_run(sessions, settings, now=NOW)
    runs = _next_runs(sessions)
    assert runs["daily"] == datetime(2026, 11, 21, 6, 0, tzinfo=NEW_YORK)
    assert runs["own"] == NOW - timedelta(hours=1)


def test_callers_at_once_send_each_due_source_exactly_once(
    engine: Engine, committed_db: None, settings: Settings
) -> None:
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    slugs = [f"hall-{n:02}" for n in range(20)]
    for slug in slugs:
        _add(sessions, slug, "0 0 1 1 *", NOW - timedelta(seconds=5))
    sent = Sent()
    start = threading.Barrier(6)
    results = []

    def caller() -> None:
        start.wait()
        results.append(dispatch_due(sessions, settings, sent, now=NOW))

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 6
    assert Counter(slug for slug, _ in sent.tasks) == Counter(slugs)
    assert sorted(slug for result in results for slug in result.due) == slugs
    assert not any(result.already_running for result in results)
