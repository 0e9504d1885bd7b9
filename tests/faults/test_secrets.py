"""Secrets never show: not in the API's, the worker's or Flower's log, not in an error
body, not in a run's reason. The processes hold an API key, a database password and
Flower's password, and a source's URL carries a user and password of its own; then
requests with no key or a wrong one, a failing source, and a database that is not there
make them write errors."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import fault_figures
from tests.support.api_keys import API_KEY, AUTH
from tests.support.fault_suite import (
    DB_PASSWORD,
    FLOWER_PASSWORD,
    HostileServers,
    database_url_with_password,
)
from tests.support.processes import Process, free_port, start_from_procfile, wait_until

pytestmark = pytest.mark.faults

FEED_PASSWORD = f"feed-secret-{secrets.token_hex(8)}"
WRONG_KEY = f"{API_KEY[:-4]}0000"
"""A wrong key as close as can be to the right one: the API must not echo either."""
SECRETS = (API_KEY, DB_PASSWORD, FLOWER_PASSWORD, FEED_PASSWORD)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code > 0
    except httpx.HTTPError:
        return False


class Started:
    """Almanac processes started together (each takes seconds to import), stopped by PID."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.processes: dict[str, tuple[Process, str]] = {}

    def start(self, label: str, name: str, env: dict[str, str], port_variable: str) -> None:
        port = free_port()
        process = start_from_procfile(name, self.logs / label, env | {port_variable: str(port)})
        self.processes[label] = (process, f"http://127.0.0.1:{port}")

    def wait(self) -> None:
        for label, (process, base) in self.processes.items():
            wait_until(
                lambda p=process, b=base: _answers(b + "/") or p.popen.poll() is not None,
                90,
                label,
            )
            assert process.popen.poll() is None, process.output()

    def __getitem__(self, label: str) -> tuple[Process, str]:
        return self.processes[label]

    def stop(self) -> None:
        for process, _ in self.processes.values():
            process.stop()


@pytest.fixture
def started(
    fault_settings_env: dict[str, str], committed_db: None, tmp_path: Path
) -> Iterator[Started]:
    """The API, an API whose database is missing, and Flower, all holding the secrets."""
    env = dict(os.environ) | fault_settings_env
    missing = database_url_with_password(
        os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/almanac_missing_{secrets.token_hex(4)}"
    )
    processes = Started(tmp_path)
    try:
        processes.start("api", "api", env, "ALMANAC_API_PORT")
        processes.start("broken-api", "api", env | {"DATABASE_URL": missing}, "ALMANAC_API_PORT")
        processes.start("flower", "flower", env, "ALMANAC_FLOWER_PORT")
        processes.wait()
        yield processes
    finally:
        processes.stop()


def _assert_secret_free(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret shows in {where}"
    assert WRONG_KEY not in text, f"the wrong key offered shows in {where}"


def _write_routes(base: str) -> list[tuple[str, str]]:
    document = httpx.get(f"{base}/openapi.json").json()
    routes = []
    for path, operations in document["paths"].items():
        for method in operations:
            if method in ("post", "put", "patch", "delete"):
                concrete = path.replace("{letter_id}", "1").replace("{slug}", "x")
                routes.append((method.upper(), concrete))
    return routes


def test_secrets_stay_out_of_logs_and_error_bodies(
    started: Started, fault_worker: Process, hostile_servers: HostileServers
) -> None:
    process, base = started["api"]
    bodies: list[str] = []
    for holder in (process, fault_worker, started["flower"][0]):
        held = Path(f"/proc/{holder.pid}/environ").read_bytes()
        assert DB_PASSWORD.encode() in held
        assert FLOWER_PASSWORD.encode() in held
        assert API_KEY.encode() in held

    # Every write, with no key and with a wrong one.
    routes = _write_routes(base)
    assert len(routes) >= 7
    for method, path in routes:
        for headers in ({}, {"Authorization": f"Bearer {WRONG_KEY}"}):
            answer = httpx.request(method, base + path, json={}, headers=headers)
            assert answer.status_code == 401, (method, path, answer.text)
            bodies.append(answer.text)
            fault_figures.count("requests_refused")

    # A source whose URL carries a password, failing: its reason, its listing, its runs.
    site = hostile_servers.site
    plain = site.serve("/members.ics", "members only", status=403)
    url = plain.replace("http://", f"http://member:{FEED_PASSWORD}@")
    created = httpx.post(
        f"{base}/sources",
        json={"slug": "members", "name": "Members", "kind": "ical", "url": url},
        headers=AUTH,
    )
    assert created.status_code == 201, created.text
    assert created.json()["url"] == plain.replace("http://", "http://***@")
    bodies.append(created.text)
    accepted = httpx.post(f"{base}/sources/members/scrape", headers=AUTH)
    assert accepted.status_code == 202, accepted.text
    status_url = accepted.json()["status_url"]
    wait_until(
        lambda: httpx.get(status_url).json()["state"] in ("FAILURE", "SUCCESS"), 60, "the scrape"
    )
    assert site.hits("/members.ics"), "the source was fetched"
    source = httpx.get(f"{base}/sources/members").json()
    assert "answered 403" in source["health"]["reason"]
    assert "http://***@127.0.0.1" in source["health"]["reason"]
    for read in (status_url, f"{base}/sources/members", f"{base}/sources", f"{base}/runs"):
        bodies.append(httpx.get(read).text)
    bodies.append(httpx.get(f"{base}/sources/members/runs").text)
    bodies.append(httpx.get(f"{base}/dead-letters").text)
    previewed = httpx.post(
        f"{base}/sources/preview", json={"kind": "ical", "url": url}, headers=AUTH, timeout=60
    )
    assert previewed.status_code == 200, previewed.text
    assert "answered 403" in previewed.json()["problems"][0]["reason"]
    bodies.append(previewed.text)

    # An API whose database is not there: its errors, and its readiness.
    broken, broken_base = started["broken-api"]
    for read in ("/sources", "/events", "/health/ready", "/metrics"):
        answer = httpx.get(broken_base + read, timeout=30)
        assert answer.status_code >= 500, (read, answer.text)
        bodies.append(answer.text)
    failed_write = httpx.post(
        broken_base + "/sources",
        json={"slug": "x", "name": "X", "kind": "ical", "url": "https://x.example/"},
        headers=AUTH,
    )
    assert failed_write.status_code >= 500
    bodies.append(failed_write.text)

    # Flower, asked with no password and a wrong one.
    flower, flower_base = started["flower"]
    for auth in (None, ("almanac", FLOWER_PASSWORD[:-1])):
        answer = httpx.get(flower_base + "/", auth=auth)
        assert answer.status_code == 401
        bodies.append(answer.text)
        fault_figures.count("requests_refused")
    assert httpx.get(flower_base + "/", auth=("almanac", FLOWER_PASSWORD)).status_code == 200
    time.sleep(0.5)  # the worker's last lines

    for number, body in enumerate(bodies):
        _assert_secret_free(body, f"answer {number}: {body[:200]}")
    for running in (process, broken, flower, fault_worker):
        _assert_secret_free(running.output(), f"the {running.name} log ({running.log_path})")
    assert "403" in fault_worker.output()
    assert "almanac_missing_" in broken.output()
    fault_figures.count("faults_injected", 2)  # a failing source, a missing database
    fault_figures.count("faults_survived", 2)
    fault_figures.count("secrets_checked", len(SECRETS))
    fault_figures.count("cases_run")
