"""The `almanac` command, run as operators run it."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from almanac.db.models import Source
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import ROOT, bin_path

FOLK_CLUB = Path(__file__).resolve().parents[3] / "packages/scrapers/tests/fixtures/folk-club.ics"


def _almanac(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [bin_path("almanac"), *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        cwd=cwd,
    )


def test_a_css_source_is_added_without_code(engine: Engine, committed_db: None) -> None:
    config = {"item": "article.event", "title": "h2", "date": ".date", "link": "a@href"}
    result = _almanac(
        "sources", "add", "listing-hall", "--kind", "css",
        "--url", "https://hall.example/events", "--config", json.dumps(config),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "listing-hall: added." in result.stdout
    with Session(engine) as session:
        source = session.scalars(select(Source).where(Source.slug == "listing-hall")).one()
    assert (source.kind, source.config) == ("css", config)


def test_a_wrong_css_config_is_refused_with_the_key_named(committed_db: None) -> None:
    result = _almanac(
        "sources", "add", "listing-hall", "--kind", "css",
        "--url", "https://hall.example/events", "--config", json.dumps({"title": "h2"}),
    )  # fmt: skip
    assert result.returncode == 1
    assert "listing-hall: config:" in result.stderr
    assert "item" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_is_idempotent(committed_db: None, tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - {slug: folk, name: Folk, kind: ical, url: https://folk.example/a.ics}\n"
    )
    assert "1 created" in _almanac("sources", "import", str(sources)).stdout
    assert "1 unchanged" in _almanac("sources", "import", str(sources)).stdout


def test_a_wrong_schedule_is_refused_before_saving(engine: Engine, committed_db: None) -> None:
    result = _almanac(
        "sources", "add", "folk", "--kind", "ical",
        "--url", "https://folk.example/a.ics", "--schedule", "every morning",
    )  # fmt: skip
    assert result.returncode == 2
    assert "'every morning' is not a cron expression" in result.stderr
    assert "Traceback" not in result.stderr
    with Session(engine) as session:
        assert session.scalars(select(Source)).all() == []


def test_a_source_with_a_schedule_shows_its_next_run(committed_db: None) -> None:
    added = _almanac(
        "sources", "add", "folk", "--kind", "ical",
        "--url", "https://folk.example/a.ics", "--schedule", "30 7 * * *",
        "--timezone", "Europe/Berlin",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    (row,) = json.loads(_almanac("sources", "list", "--json").stdout)
    assert row["schedule"] == "30 7 * * *"
    next_run = datetime.fromisoformat(row["next_run_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (next_run.hour, next_run.minute) == (7, 30)


def test_scrape_all_scrapes_every_enabled_source(
    committed_db: None, http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    url = http_server.serve_file("/folk-club.ics", FOLK_CLUB)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - {{slug: folk, name: Folk, kind: ical, url: '{url}'}}\n"
        f"  - {{slug: folk-again, name: Folk again, kind: ical, url: '{url}'}}\n"
        f"  - {{slug: folk-off, name: Folk off, kind: ical, url: '{url}', enabled: false}}\n"
    )
    assert _almanac("sources", "import", str(sources)).returncode == 0
    result = _almanac("scrape", "--all", "--sync")
    assert result.returncode == 0, result.stderr
    assert "folk: ok" in result.stdout
    assert "folk-again: ok" in result.stdout
    assert "folk-off" not in result.stdout
    # The first run made the venue of the feed's place; the second found it.
    assert result.stdout.count("new venues: folk-club") == 1, result.stdout


def test_scrape_asks_for_a_source_or_all(committed_db: None) -> None:
    for args in ((), ("folk", "--all")):
        result = _almanac("scrape", *args)
        assert result.returncode == 2
        assert "name one or more SOURCES, or pass --all" in result.stderr


def _stored(engine: Engine) -> None:
    from datetime import UTC, timedelta

    from almanac.db.models import TaskRun
    from tests.support.stored_events import StoredEvents

    now = datetime.now(UTC).replace(microsecond=0)
    with Session(engine) as session:
        stored = StoredEvents(session)
        folk = stored.source("folk-club")
        jazz = stored.source("jazz-bar")
        stored.event(folk, "Open Mic Night", now + timedelta(days=2), description="songs")
        stored.event(jazz, "Late Set", now + timedelta(days=3), description="a trio plays")
        stored.event(jazz, "Next Season", now + timedelta(days=90))
        session.add_all(
            [
                TaskRun(
                    task_id="run-ok",
                    task_name="almanac.scrape_source",
                    state="success",
                    source_id=folk.id,
                    started_at=now - timedelta(hours=2),
                    updated_at=now - timedelta(hours=2),
                ),
                TaskRun(
                    task_id="run-failed",
                    task_name="almanac.scrape_source",
                    state="failure",
                    source_id=jazz.id,
                    retries=2,
                    error="ScrapeFailed: jazz-bar: HTTP 503",
                    started_at=now - timedelta(hours=1),
                    updated_at=now - timedelta(hours=1),
                ),
            ]
        )
        session.commit()


def test_runs_lists_task_runs_and_exits_1_when_one_failed(
    engine: Engine, committed_db: None
) -> None:
    _stored(engine)
    everything = _almanac("runs", "--json")
    assert everything.returncode == 1  # one of them failed
    assert [r["task_id"] for r in json.loads(everything.stdout)] == ["run-failed", "run-ok"]

    folk = _almanac("runs", "--source", "folk-club")
    assert folk.returncode == 0, folk.stderr
    assert "success" in folk.stdout
    assert "failure" not in folk.stdout

    failed = json.loads(_almanac("runs", "--failed", "--json").stdout)
    assert [(r["source"], r["retries"]) for r in failed] == [("jazz-bar", 2)]
    assert "HTTP 503" in failed[0]["error"]

    unknown = _almanac("runs", "--source", "nowhere")
    assert unknown.returncode == 2
    assert "no source 'nowhere'" in unknown.stderr


def test_events_lists_a_window_by_source_and_words(engine: Engine, committed_db: None) -> None:
    _stored(engine)
    listed = _almanac("events")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.index("Open Mic Night") < listed.stdout.index("Late Set")
    assert "Next Season" not in listed.stdout  # past the default 30 days

    jazz = json.loads(_almanac("events", "--source", "jazz-bar", "--json").stdout)
    assert [e["title"] for e in jazz] == ["Late Set"]
    found = json.loads(_almanac("events", "--q", "trio", "--json").stdout)
    assert [e["title"] for e in found] == ["Late Set"]
    later = json.loads(
        _almanac("events", "--from", "2020-01-01", "--to", "2020-02-01", "--json").stdout
    )
    assert later == []

    backwards = _almanac("events", "--from", "2030-01-02", "--to", "2030-01-01")
    assert backwards.returncode == 2
    assert "--to must be after --from" in backwards.stderr


def test_health_names_what_is_missing_and_exits_1(redis_url: str, committed_db: None) -> None:
    import redis

    from almanac.core.heartbeat import BEAT_HEARTBEAT_KEY

    redis.Redis.from_url(redis_url).delete(BEAT_HEARTBEAT_KEY)
    result = _almanac("health", "--json")
    assert result.returncode == 1
    checks = json.loads(result.stdout)
    assert checks["database"]["ok"]
    assert checks["redis"]["ok"]
    assert not checks["beat"]["ok"]
    assert "never beaten" in checks["beat"]["detail"]
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_line_not_a_traceback(committed_db: None) -> None:
    result = subprocess.run(
        [bin_path("almanac"), "runs"],
        capture_output=True,
        text=True,
        env=dict(os.environ)
        | {"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"},
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("almanac: OperationalError:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_sources_are_shown_edited_disabled_and_exported(
    engine: Engine, committed_db: None, tmp_path: Path
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - {slug: folk, name: Folk, kind: ical, url: https://folk.example/a.ics}\n"
        "  - slug: hall\n"
        "    name: Hall\n"
        "    kind: css\n"
        "    url: https://hall.example/events\n"
        "    config: {item: article, title: h2, date: .date}\n"
        "    schedule: '0 7 * * *'\n"
    )
    assert _almanac("sources", "import", str(sources)).returncode == 0

    shown = json.loads(_almanac("sources", "show", "hall", "--json").stdout)
    assert shown["source"]["schedule"] == "0 7 * * *"
    assert shown["health"]["next_run_at"] is not None
    assert "never run" in _almanac("sources", "show", "folk").stdout

    edited = _almanac("sources", "edit", "folk", "--name", "Folk Club", "--schedule", "30 8 * * 1")
    assert edited.returncode == 0, edited.stderr
    assert "folk: updated." in edited.stdout
    wrong = _almanac("sources", "edit", "folk", "--schedule", "every day")
    assert wrong.returncode == 2
    assert "schedule" in wrong.stderr
    bad_config = _almanac("sources", "edit", "hall", "--config", json.dumps({"title": "h2"}))
    assert bad_config.returncode == 2
    assert "item" in bad_config.stderr
    assert _almanac("sources", "disable", "hall").returncode == 0
    missing = _almanac("sources", "disable", "nowhere")
    assert missing.returncode == 2
    assert "nowhere" in missing.stderr

    with Session(engine) as session:
        folk = session.scalars(select(Source).where(Source.slug == "folk")).one()
        hall = session.scalars(select(Source).where(Source.slug == "hall")).one()
    assert (folk.name, folk.schedule) == ("Folk Club", "30 8 * * 1")
    assert not hall.enabled
    assert hall.config == {"item": "article", "title": "h2", "date": ".date"}  # left as it was

    exported = tmp_path / "exported.yaml"
    exported.write_text(_almanac("sources", "export").stdout)
    again = _almanac("sources", "import", str(exported))
    assert again.returncode == 0, again.stderr
    assert "0 created, 0 updated, 2 unchanged" in again.stdout
    assert _almanac("sources", "enable", "hall").returncode == 0
    with Session(engine) as session:
        assert session.scalars(select(Source.enabled).where(Source.slug == "hall")).one()


def test_a_dry_run_prints_what_it_found_and_stores_nothing(
    engine: Engine, committed_db: None, http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    from sqlalchemy import func

    from almanac.db.models import Event, ScrapeRun

    url = http_server.serve_file("/folk-club.ics", FOLK_CLUB)
    empty = http_server.serve("/empty.html", "<html><body>No events yet</body></html>")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - {{slug: folk, name: Folk, kind: ical, url: '{url}'}}\n"
        f"  - {{slug: empty-hall, name: Empty Hall, kind: jsonld, url: '{empty}'}}\n"
    )
    assert _almanac("sources", "import", str(sources)).returncode == 0

    result = _almanac("scrape", "folk", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "folk: 5 events" in result.stdout
    assert "Open Mic Night" in result.stdout
    assert "nothing stored (dry run)" in result.stdout
    found = json.loads(_almanac("scrape", "folk", "--dry-run", "--json").stdout)
    assert found["folk"]["event_count"] == 5

    nothing = _almanac("scrape", "empty-hall", "--dry-run")
    assert nothing.returncode == 1
    assert "empty-hall: 0 events" in nothing.stdout
    assert "problem:" in nothing.stdout
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0
        assert session.scalar(select(func.count()).select_from(ScrapeRun)) == 0


def test_the_seed_sources_file_imports_with_its_schedules(
    engine: Engine, committed_db: None
) -> None:
    first = _almanac("sources", "import", "sources.yaml", cwd=ROOT)
    assert first.returncode == 0, first.stderr
    assert "2 created" in first.stdout
    assert "2 unchanged" in _almanac("sources", "import", "sources.yaml", cwd=ROOT).stdout
    with Session(engine) as session:
        seeds = {s.slug: s for s in session.scalars(select(Source))}
    assert set(seeds) == {"vanwezel", "mote"}
    assert seeds["vanwezel"].url == "https://www.vanwezel.org/events"
    assert all(s.schedule and s.next_run_at for s in seeds.values())
