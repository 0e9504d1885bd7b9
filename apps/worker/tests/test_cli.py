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
from tests.support.processes import bin_path

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


def test_scrape_asks_for_a_source_or_all(committed_db: None) -> None:
    for args in ((), ("folk", "--all")):
        result = _almanac("scrape", *args)
        assert result.returncode == 2
        assert "name one SOURCE, or pass --all" in result.stderr
