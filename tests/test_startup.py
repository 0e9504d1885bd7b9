"""A process started with a missing or wrong setting stops at once and names it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from almanac.core.settings import Settings
from tests.support.processes import ROOT, bin_path, procfile

ENTRY_POINTS = {
    "api": procfile()["api"],
    "worker": procfile()["worker"],
    "beat": procfile()["beat"],
    "almanac": "almanac db current",
}


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_wrong_time_zone_stops_the_process_with_the_variable_named(name: str) -> None:
    env = dict(os.environ) | {
        "ALMANAC_TIMEZONE": "Mars/Olympus_Mons",
        "ALMANAC_API_PORT": "0",
        "PATH": f"{bin_path('')}:{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["bash", "-c", f"exec {ENTRY_POINTS[name]}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "ALMANAC_TIMEZONE is wrong: 'Mars/Olympus_Mons' is not an IANA time zone" in output
    assert "Traceback" not in output


def test_missing_database_url_stops_the_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [bin_path("almanac"), "db", "current"],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "DATABASE_URL is not set" in result.stderr


def test_every_setting_is_documented_in_env_example_and_readme() -> None:
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    for name in Settings.model_fields:
        variable = (
            name.upper() if name in {"database_url", "redis_url"} else f"ALMANAC_{name.upper()}"
        )
        assert variable in documented, f"{variable} is missing from .env.example"
        assert variable in readme, f"{variable} is missing from the README"
