"""The fault suite's fixtures: its hostile servers and the one worker that serves the
whole suite (see `tests.support.fault_suite`), and its figures, printed at the end
of the session and written as JSON.

They are scoped to this folder, so that the worker is stopped before the tests
after it start workers of their own on the same broker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import fault_figures
from tests.support.fault_suite import HostileServers, worker_env
from tests.support.processes import Process
from tests.support.workers import start_worker


@pytest.fixture(scope="package")
def hostile_servers() -> Iterator[HostileServers]:
    servers = HostileServers()
    yield servers
    servers.stop()


@pytest.fixture(scope="package")
def fault_settings_env(hostile_servers: HostileServers) -> dict[str, str]:
    return worker_env(hostile_servers)


@pytest.fixture(scope="package")
def fault_worker(
    database_url: str,
    redis_url: str,
    fault_settings_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Process]:
    """One real Celery worker for the whole fault suite."""
    logs = tmp_path_factory.mktemp("fault-worker")
    worker = start_worker("worker", "celery", logs, dict(os.environ) | fault_settings_env)
    yield worker
    worker.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not fault_figures.FIGURES:
        return
    target = os.environ.get("ALMANAC_FAULT_FIGURES")
    if target:
        path = Path(target)
    else:
        factory = getattr(session.config, "_tmp_path_factory", None)
        base = factory.getbasetemp() if factory is not None else Path.cwd()
        path = base / "fault-figures.json"
    fault_figures.write(path)
    session.config.stash[_FIGURES_PATH] = str(path)


_FIGURES_PATH = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not fault_figures.FIGURES:
        return
    terminalreporter.write_line(fault_figures.summary())
    path = terminalreporter.config.stash.get(_FIGURES_PATH, None)
    if path:
        terminalreporter.write_line(f"fault suite figures written to {path}")
