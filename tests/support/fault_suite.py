"""The fault suite's limits, secrets and hostile servers (its fixtures are in
`tests/faults/conftest.py`).

One worker serves the whole suite, as in production: private networks are
refused (only the local test servers are allowed, by host and port), and its
limits are small so that a never-ending, dripping or huge answer ends in seconds.
It holds secrets (a database password, Flower's password, the API key) that its
log must never show.
"""

from __future__ import annotations

import os
import secrets

from sqlalchemy.engine import make_url

from tests.support.http_server import LocalHTTPServer

FETCH_TIMEOUT_SECONDS = 2.0
FETCH_MAX_BYTES = 1_000_000
FETCH_RETRIES = 1
DB_PASSWORD = f"pg-secret-{secrets.token_hex(8)}"
"""PostgreSQL here trusts local connections, so any password connects: it is only to be hidden."""
FLOWER_PASSWORD = f"flower-secret-{secrets.token_hex(8)}"


def database_url_with_password(url: str, password: str = DB_PASSWORD) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


class HostileServers:
    """The local servers the suite's sources point at; each has its own robots.txt."""

    def __init__(self) -> None:
        self.site = LocalHTTPServer().start()
        """Pages and feeds, hostile or not; its robots.txt allows everything."""
        self.closed = LocalHTTPServer().start()
        """A site whose robots.txt disallows everything."""
        self.endless_robots = LocalHTTPServer().start()
        self.dripping_robots = LocalHTTPServer().start()
        self.fresh = LocalHTTPServer().start()
        """A site whose robots.txt is read in the same run as its hostile page."""

    @property
    def all(self) -> list[LocalHTTPServer]:
        return [self.site, self.closed, self.endless_robots, self.dripping_robots, self.fresh]

    def stop(self) -> None:
        for server in self.all:
            server.stop()


def netloc(server: LocalHTTPServer) -> str:
    return server.base_url.removeprefix("http://")


def worker_env(servers: HostileServers) -> dict[str, str]:
    """The worker's settings: private networks refused, small caps and timeouts, secrets."""
    return {
        "ALMANAC_ALLOW_PRIVATE_NETWORKS": "false",
        "ALMANAC_ALLOWED_PRIVATE_HOSTS": ",".join(netloc(s) for s in servers.all),
        "ALMANAC_FETCH_TIMEOUT_SECONDS": str(FETCH_TIMEOUT_SECONDS),
        "ALMANAC_FETCH_CONNECT_TIMEOUT_SECONDS": str(FETCH_TIMEOUT_SECONDS),
        "ALMANAC_FETCH_MAX_BYTES": str(FETCH_MAX_BYTES),
        "ALMANAC_FETCH_RETRIES": str(FETCH_RETRIES),
        "ALMANAC_TASK_MAX_RETRIES": "0",
        "ALMANAC_LOG_LEVEL": "DEBUG",
        "DATABASE_URL": database_url_with_password(os.environ["DATABASE_URL"]),
        "ALMANAC_FLOWER_PASSWORD": FLOWER_PASSWORD,
    }
