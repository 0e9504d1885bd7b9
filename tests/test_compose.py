"""compose.dev.yml is valid Compose and runs what the Procfile runs."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.support.processes import ROOT, bin_path, procfile

COMPOSE = ROOT / "compose.dev.yml"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_compose_file_follows_the_compose_specification() -> None:
    result = subprocess.run(
        [bin_path("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_the_procfile_processes() -> None:
    services = _compose()["services"]
    processes = procfile()
    assert set(processes) == {"api", "worker", "maintenance", "beat", "flower"}
    for name, command in processes.items():
        assert _argv(services[name]["command"]) == shlex.split(command), name


def test_app_services_share_one_image_and_wait_for_migrations() -> None:
    services = _compose()["services"]
    for name in ("migrate", "api", "worker", "maintenance", "beat", "flower"):
        assert services[name]["build"] == "."
        assert services[name]["image"] == "almanac:dev"
    for name in ("api", "worker", "maintenance", "beat", "flower"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert {"healthcheck"} <= set(services["postgres"])
    assert {"healthcheck"} <= set(services["redis"])
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_dockerfile_installs_the_locked_workspace() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --locked" in dockerfile
    assert Path(ROOT / ".dockerignore").read_text().count(".venv")


def test_the_procfile_defaults_are_the_settings_defaults() -> None:
    """A variable left unset means the same in the Procfile as in Almanac's settings."""
    from almanac.core.settings import Settings

    lines = " ".join(procfile().values())
    for variable, field in [
        ("ALMANAC_WORKER_CONCURRENCY", "worker_concurrency"),
        ("ALMANAC_API_WORKERS", "api_workers"),
        ("ALMANAC_API_PORT", "api_port"),
        ("ALMANAC_FLOWER_PORT", "flower_port"),
    ]:
        default = Settings.model_fields[field].default
        assert f"${{{variable}:-{default}}}" in lines, variable
