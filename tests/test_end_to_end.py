"""The whole system: api, worker, beat and Flower from the Procfile, a source on a
local server, a scrape triggered through the API, the events read back."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api_keys import AUTH
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import Process, bin_path, free_port, start_from_procfile, wait_until

pytestmark = pytest.mark.e2e

FEED = Path(__file__).resolve().parents[1] / "packages/scrapers/tests/fixtures/folk-club.ics"


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


@pytest.fixture
def stack(
    database_url: str, redis_url: str, committed_db: None, tmp_path: Path
) -> Iterator[dict[str, object]]:
    api_port, flower_port = free_port(), free_port()
    env = dict(os.environ) | {
        "ALMANAC_API_PORT": str(api_port),
        "ALMANAC_FLOWER_PORT": str(flower_port),
        "ALMANAC_BEAT_SCHEDULE_FILE": str(tmp_path / "var" / "beat-schedule"),
        # The worker parses every feed in a child process, as it does a large one.
        "ALMANAC_FEED_PARSE_APART_BYTES": "0",
    }
    processes: dict[str, Process] = {}
    try:
        for name in ("api", "worker", "maintenance", "beat", "flower"):
            processes[name] = start_from_procfile(name, tmp_path, env)
        api = f"http://127.0.0.1:{api_port}"
        wait_until(lambda: _answers(f"{api}/health"), 60, "the API")
        wait_until(lambda: _answers(f"http://127.0.0.1:{flower_port}/"), 60, "Flower")
        yield {"api": api, "env": env, "processes": processes}
    finally:
        for process in processes.values():
            process.stop()


def test_a_source_goes_from_trigger_to_worker_to_database_to_api(
    stack: dict[str, object], http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    api = str(stack["api"])
    env = stack["env"]
    assert isinstance(env, dict)
    feed_url = http_server.serve_file("/folk-club.ics", FEED)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - slug: folk-club\n"
        "    name: Folk Club\n"
        "    kind: ical\n"
        f"    url: {feed_url}\n"
        "    timezone: America/New_York\n"
    )
    imported = subprocess.run(
        [bin_path("almanac"), "sources", "import", str(sources)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    assert "1 created" in imported.stdout

    wait_until(lambda: httpx.get(f"{api}/health/ready").status_code == 200, 60, "readiness")
    ready = httpx.get(f"{api}/health/ready").json()
    assert ready["checks"]["workers"]["ok"]
    assert ready["checks"]["beat"]["ok"]  # beat's heartbeat reaches the API through Redis

    accepted = httpx.post(f"{api}/sources/folk-club/scrape", headers=AUTH)
    assert accepted.status_code == 202
    status_url = accepted.json()["status_url"]
    wait_until(
        lambda: httpx.get(status_url).json()["state"] in {"SUCCESS", "FAILURE"}, 60, "the task"
    )
    task = httpx.get(status_url).json()
    assert task["state"] == "SUCCESS", task
    assert task["result"]["status"] == "ok"
    assert task["result"]["counts"]["created"] == 5

    events = httpx.get(
        f"{api}/events",
        params={"start": "2026-12-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"},
    ).json()
    titles = [item["event"]["title"] for item in events["items"]]
    assert titles.count("Open Mic Night") + titles.count("Open Mic Night (moved to Friday)") == 4
    assert "Holiday Craft Fair" in titles

    (source,) = httpx.get(f"{api}/sources").json()
    assert (source["last_status"], source["last_event_count"]) == ("ok", 5)
    processes = stack["processes"]
    assert isinstance(processes, dict)
    assert all(p.popen.poll() is None for p in processes.values()), "a process died"
    assert "beat: Starting..." in processes["beat"].output()
