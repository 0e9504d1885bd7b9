"""The tasks, run by a real worker against real Redis and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from celery.result import AsyncResult
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from almanac.db.models import DeadLetter, ScrapeRun, Source
from almanac.db.scrape_leases import claim_scrape
from almanac.worker import app
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import Process, bin_path, wait_until

FEED = (
    Path(__file__).resolve().parents[3]
    / "packages"
    / "scrapers"
    / "tests"
    / "fixtures"
    / "folk-club.ics"
).read_bytes()


@pytest.fixture
def sources(engine: Engine, committed_db: None, http_server: LocalHTTPServer) -> Iterator[None]:
    url = http_server.serve("/folk-club.ics", FEED)
    with Session(engine) as session:
        session.add_all(
            [
                Source(slug="folk-club", name="Folk Club", kind="ical", url=url),
                Source(slug="jazz-bar", name="Jazz Bar", kind="ical", url=url),
                Source(slug="closed-hall", name="Closed", kind="ical", url=url, enabled=False),
            ]
        )
        session.commit()
    return


def _runs(engine: Engine) -> list[ScrapeRun]:
    with Session(engine) as session:
        return list(session.scalars(select(ScrapeRun).order_by(ScrapeRun.id)))


def test_celery_call_scrapes_a_source_by_slug(
    worker_process: Process, sources: None, engine: Engine
) -> None:
    out = subprocess.run(
        [
            bin_path("celery"),
            "-A",
            "almanac.worker",
            "call",
            "almanac.scrape_source",
            "--kwargs",
            json.dumps({"source": "folk-club"}),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
        timeout=60,
    )
    task_id = out.stdout.strip()
    result = AsyncResult(task_id, app=app).get(timeout=60)
    assert result["status"] == "ok"
    assert result["counts"]["found"] > 0
    (run,) = _runs(engine)
    assert (run.task_id, run.status, run.trigger) == (task_id, "ok", "schedule")
    assert f"task={task_id}" in worker_process.output()


def test_scrape_all_sends_one_scrape_per_enabled_source(
    worker_process: Process, maintenance_process: Process, sources: None, engine: Engine
) -> None:
    sent = app.send_task("almanac.scrape_all").get(timeout=60)["sent"]
    assert set(sent) == {"folk-club", "jazz-bar"}
    for task_id in sent.values():
        AsyncResult(task_id, app=app).get(timeout=60)
    with Session(engine) as session:
        slugs = session.scalars(
            select(Source.slug).join(ScrapeRun, ScrapeRun.source_id == Source.id)
        )
        assert sorted(slugs) == ["folk-club", "jazz-bar"]


def test_health_check_answers_from_a_worker(worker_process: Process) -> None:
    answer = app.send_task("almanac.health_check").get(timeout=30)
    assert answer["status"] == "ok"
    assert answer["worker"]


def test_unknown_source_fails_the_task_and_the_worker_stays_up(
    worker_process: Process, committed_db: None
) -> None:
    result = app.send_task("almanac.scrape_source", kwargs={"source": "nowhere"})
    with pytest.raises(Exception, match="no source 'nowhere'"):
        result.get(timeout=30)
    assert app.send_task("almanac.health_check").get(timeout=30)["status"] == "ok"


def test_a_failing_source_is_retried_then_kept_as_a_dead_letter_and_replayed(
    worker_process: Process, committed_db: None, engine: Engine, http_server: LocalHTTPServer
) -> None:
    url = http_server.serve("/down.ics", FEED, fail_times=1000, fail_status=503)
    with Session(engine) as session:
        session.add(Source(slug="down-hall", name="Down Hall", kind="ical", url=url))
        session.commit()
    result = app.send_task("almanac.scrape_source", kwargs={"source": "down-hall"})
    with pytest.raises(Exception, match="503"):
        result.get(timeout=60)

    def letters() -> list[DeadLetter]:
        with Session(engine) as session:
            return list(session.scalars(select(DeadLetter)))

    # The failure is stored as the task's result just before the dead letter is kept.
    wait_until(lambda: bool(letters()), 10, "the dead letter")
    (letter,) = letters()
    with Session(engine) as session:
        runs = session.scalars(select(ScrapeRun.status).order_by(ScrapeRun.id)).all()
    assert (letter.task_id, letter.task_name, letter.kwargs) == (
        result.id,
        "almanac.scrape_source",
        {"source": "down-hall"},
    )
    assert letter.retries == 2
    assert "after 2 retries" in letter.error
    assert runs == ["failed", "failed", "failed"]  # the first try and two retries

    http_server.serve("/down.ics", FEED)  # the server is back
    out = subprocess.run(
        [bin_path("almanac"), "dead-letters", "replay", str(letter.id)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    replayed = out.stdout.split("task ")[-1].strip()
    assert AsyncResult(replayed, app=app).get(timeout=60)["status"] == "ok"
    assert app.send_task("almanac.health_check").get(timeout=30)["status"] == "ok"


def test_a_source_being_scraped_is_not_scraped_twice(
    worker_process: Process, maintenance_process: Process, sources: None, engine: Engine
) -> None:
    with Session(engine) as session:
        assert claim_scrape(session, "folk-club", "running-elsewhere", 600) is None
    result = app.send_task("almanac.scrape_source", kwargs={"source": "folk-club"}).get(timeout=60)
    assert result == {
        "source": "folk-club",
        "status": "skipped",
        "running_task_id": "running-elsewhere",
    }
    everything = app.send_task("almanac.scrape_all").get(timeout=60)
    assert everything["already_running"] == {"folk-club": "running-elsewhere"}
    assert set(everything["sent"]) == {"jazz-bar"}
    AsyncResult(everything["sent"]["jazz-bar"], app=app).get(timeout=60)
    with Session(engine) as session:
        scraped = session.scalars(
            select(Source.slug).join(ScrapeRun, ScrapeRun.source_id == Source.id)
        ).all()
    assert scraped == ["jazz-bar"]


def test_worker_lines_name_the_task_its_source_and_the_request_behind_it(
    worker_process: Process, sources: None
) -> None:
    result = app.send_task(
        "almanac.scrape_source",
        kwargs={"source": "folk-club"},
        headers={"almanac_request_id": "req-from-the-api"},
    )
    assert result.get(timeout=60)["status"] == "ok"
    lines = [line for line in worker_process.output().splitlines() if f"task={result.id}" in line]
    assert lines
    assert all("request=req-from-the-api" in line for line in lines), lines
    assert any("source=folk-club" in line and "created" in line for line in lines), lines
    # One line for the run, none for each of its requests (the run's trace has those).
    assert not [line for line in lines if "HTTP Request:" in line], lines


def test_the_daily_run_leaves_sources_with_their_own_schedule_to_it(
    worker_process: Process, maintenance_process: Process, sources: None, engine: Engine
) -> None:
    with Session(engine) as session:
        own = session.scalars(select(Source).where(Source.slug == "jazz-bar")).one()
        own.schedule = "30 7 * * *"
        session.commit()
    result = app.send_task("almanac.scrape_all", kwargs={"trigger": "schedule"}).get(timeout=60)
    assert set(result["sent"]) == {"folk-club"}
    for task_id in result["sent"].values():
        AsyncResult(task_id, app=app).get(timeout=60)
    new_york = ZoneInfo("America/New_York")
    with Session(engine) as session:
        next_run = session.scalar(select(Source.next_run_at).where(Source.slug == "folk-club"))
    assert next_run is not None
    assert next_run > datetime.now(UTC)
    assert next_run.astimezone(new_york).time() == time(6, 0)
    asked = app.send_task("almanac.scrape_all", kwargs={"trigger": "cli"}).get(timeout=60)
    assert set(asked["sent"]) == {"folk-club", "jazz-bar"}  # asked for: every enabled source
    for task_id in asked["sent"].values():
        AsyncResult(task_id, app=app).get(timeout=60)


def test_prune_deletes_old_runs_and_says_how_many(
    maintenance_process: Process, sources: None, engine: Engine
) -> None:
    with Session(engine) as session:
        source_id = session.scalar(select(Source.id).where(Source.slug == "folk-club"))
        assert source_id is not None
        for days in (400, 100, 2):
            session.add(
                ScrapeRun(
                    source_id=source_id,
                    trigger="schedule",
                    status="ok",
                    started_at=datetime.now(UTC) - timedelta(days=days),
                )
            )
        session.commit()
    deleted = app.send_task("almanac.prune").get(timeout=60)
    assert deleted["scrape_runs"] == 2
    assert deleted["dead_letters"] == 0
    assert len(_runs(engine)) == 1
    wait_until(
        lambda: "prune deleted 2 scrape_runs, " in maintenance_process.output(),
        10,
        "the prune log line",
    )


def test_the_command_follows_queued_scrapes_to_their_end(
    worker_process: Process, sources: None
) -> None:
    out = subprocess.run(
        [bin_path("almanac"), "scrape", "folk-club", "jazz-bar"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "Sent almanac.scrape_source for folk-club" in out.stdout
    assert "folk-club: ok" in out.stdout
    assert "jazz-bar: ok" in out.stdout
    as_json = subprocess.run(
        [bin_path("almanac"), "scrape", "folk-club", "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert as_json.returncode == 0, as_json.stderr
    (result,) = json.loads(as_json.stdout)
    # The feed has not changed since: the server answers 304 and nothing is parsed.
    assert (result["source"], result["status"]) == ("folk-club", "not_modified")
