"""Flower, started from the Procfile line, asks for the user and password in
the settings, and outside development refuses to start without one."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.support.processes import free_port, start_from_procfile, wait_until


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code > 0
    except httpx.HTTPError:
        return False


def test_flower_asks_for_the_configured_user_and_password(redis_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ) | {
        "ALMANAC_FLOWER_PORT": str(port),
        "ALMANAC_FLOWER_USER": "operator",
        "ALMANAC_FLOWER_PASSWORD": "s3cret-pass",
    }
    flower = start_from_procfile("flower", tmp_path, env)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until(lambda: _answers(url) or flower.popen.poll() is not None, 60, "Flower")
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, auth=("operator", "wrong")).status_code == 401
        assert httpx.get(url, auth=("operator", "s3cret-pass")).status_code == 200
    finally:
        flower.stop()


def test_flower_refuses_to_start_in_production_with_the_example_password(
    redis_url: str, tmp_path: Path
) -> None:
    env = dict(os.environ) | {
        "ALMANAC_ENV": "production",
        "ALMANAC_FLOWER_PORT": str(free_port()),
        "ALMANAC_FLOWER_PASSWORD": "change-me",
    }
    flower = start_from_procfile("flower", tmp_path, env)
    try:
        assert flower.popen.wait(60) != 0
    finally:
        flower.stop()
    assert "set ALMANAC_FLOWER_PASSWORD" in flower.output()
