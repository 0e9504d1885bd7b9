"""Settings come from the environment and `.env`; a bad value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from almanac.core.errors import ConfigError
from almanac.core.settings import load_settings


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALMANAC_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("ALMANAC_HORIZON_DAYS", "30")
    settings = load_settings()
    assert settings.timezone == "Europe/Berlin"
    assert settings.horizon_days == 30


def test_plain_postgres_urls_are_given_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@db:5432/almanac")
    assert load_settings().database_url == "postgresql+psycopg://postgres@db:5432/almanac"


def test_missing_variable_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(ConfigError, match="DATABASE_URL is not set"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "ALMANAC_TIMEZONE",
            "Mars/Olympus_Mons",
            "ALMANAC_TIMEZONE is wrong: 'Mars/Olympus_Mons' is not",
        ),
        ("REDIS_URL", "localhost:6379", "REDIS_URL is wrong: must be a Redis URL"),
        (
            "DATABASE_URL",
            "mysql://root@localhost/almanac",
            "DATABASE_URL is wrong: must be a PostgreSQL URL",
        ),
        ("ALMANAC_PAST_DAYS", "yesterday", "ALMANAC_PAST_DAYS is wrong"),
    ],
)
def test_wrong_value_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert message in str(error.value)


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALMANAC_TIMEZONE")
    (tmp_path / ".env").write_text("ALMANAC_TIMEZONE=Asia/Tokyo\n")
    assert load_settings().timezone == "Asia/Tokyo"
