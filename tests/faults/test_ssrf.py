"""Source URLs that lead inside are refused while private networks are not allowed:
when a source is saved, changed or previewed (400, naming the address), and when a
page Almanac fetches redirects inward (the preview's problem says so)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from almanac.api.main import app
from almanac.core.settings import get_settings
from tests.support import fault_figures
from tests.support.fault_suite import HostileServers
from tests.support.processes import Process

pytestmark = pytest.mark.faults

INWARD = [
    "http://127.0.0.1/feed.ics",
    "http://127.0.0.1:5432/",
    "http://localhost:6379/",
    "http://LOCALHOST./feed.ics",
    "http://calendar.localhost/feed.ics",
    f"http://{socket.gethostname()}/feed.ics",
    "http://10.1.2.3/feed.ics",
    "http://172.16.0.1/feed.ics",
    "http://192.168.1.1/feed.ics",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/feed.ics",
    "http://[fd00::1]/feed.ics",
    "http://[fe80::1]/feed.ics",
    "http://[::ffff:127.0.0.1]/feed.ics",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://[2002:7f00:1::]/feed.ics",
    "http://2130706433/feed.ics",
    "http://0x7f000001/feed.ics",
    "http://0177.0.0.1/feed.ics",
    "http://127.1/feed.ics",
    "http://0/feed.ics",
    "http://0.0.0.0/feed.ics",
    "webcal://127.0.0.1/calendar.ics",
    "https://user:secret@10.0.0.5/feed.ics",
]
"""Loopback, private ranges, link-local metadata, IPv6 (loopback, ULA, link-local,
IPv4-mapped, 6to4), names that resolve inside, and the other spellings of 127.0.0.1."""
PUBLIC = "http://93.184.215.14/feed.ics"
REFUSED = "a private, loopback or link-local address"


@pytest.fixture
def closed(client: TestClient, hostile_servers: HostileServers) -> Iterator[TestClient]:
    """The API with private networks refused, the hostile site's host and port excepted."""
    netloc = hostile_servers.site.base_url.removeprefix("http://")
    settings = get_settings().model_copy(
        update={"allow_private_networks": False, "allowed_private_hosts": netloc}
    )
    app.dependency_overrides[get_settings] = lambda: settings
    return client


def _source(url: str, slug: str = "inside") -> dict[str, str]:
    return {"slug": slug, "name": "Inside", "kind": "ical", "url": url}


@pytest.mark.parametrize("url", INWARD)
def test_a_source_url_that_leads_inside_is_refused(closed: TestClient, url: str) -> None:
    created = closed.post("/sources", json=_source(url))
    assert created.status_code == 400, created.text
    assert "is refused" in created.json()["detail"]
    assert REFUSED in created.json()["detail"]
    assert "secret" not in created.text
    previewed = closed.post("/sources/preview", json={"kind": "ical", "url": url})
    assert previewed.status_code == 400, previewed.text
    assert REFUSED in previewed.json()["detail"]
    assert closed.get("/sources/inside").status_code == 404
    fault_figures.count("requests_refused", 2)
    fault_figures.count("ssrf_refused", 2)
    fault_figures.count("inputs_tried", 2)


def test_a_source_cannot_be_moved_inside(closed: TestClient) -> None:
    assert closed.post("/sources", json=_source(PUBLIC, "outside")).status_code == 201
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[::1]:8000/"):
        moved = closed.patch("/sources/outside", json={"url": url})
        assert moved.status_code == 400, moved.text
        assert REFUSED in moved.json()["detail"]
        fault_figures.count("requests_refused")
        fault_figures.count("ssrf_refused")
        fault_figures.count("inputs_tried")
    assert closed.get("/sources/outside").json()["url"] == PUBLIC


def test_private_networks_allowed_lets_them_through(client: TestClient) -> None:
    assert get_settings().allow_private_networks  # the test session's setting
    assert client.post("/sources", json=_source("http://127.0.0.1/feed.ics")).status_code == 201


def test_a_preview_that_redirects_inside_says_it_was_refused(
    closed: TestClient, fault_worker: Process, hostile_servers: HostileServers
) -> None:
    url = hostile_servers.site.serve(
        "/preview-inward.ics",
        b"",
        status=302,
        headers={"Location": "http://169.254.169.254/latest/meta-data/iam/"},
    )
    answer = closed.post("/sources/preview", json={"kind": "ical", "url": url})
    assert answer.status_code == 200, answer.text
    (problem,) = answer.json()["problems"]
    assert (
        "redirects to http://169.254.169.254/latest/meta-data/iam/ is refused"
        in (problem["reason"])
    )
    assert answer.json()["events"] == []
    fault_figures.count("requests_refused")
    fault_figures.count("ssrf_refused")
    fault_figures.count("inputs_tried")
