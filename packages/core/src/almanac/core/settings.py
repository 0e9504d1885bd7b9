"""One validated set of settings, read from the environment and `.env`."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from almanac.core.errors import ConfigError


class Settings(BaseSettings):
    """Everything Almanac reads from its environment.

    Variables without the `ALMANAC_` prefix are the ones every tool around
    PostgreSQL and Redis already knows (`DATABASE_URL`, `REDIS_URL`).
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_prefix="ALMANAC_",
        extra="ignore",
    )

    database_url: str = Field(validation_alias=AliasChoices("DATABASE_URL"))
    redis_url: str = Field(validation_alias=AliasChoices("REDIS_URL"))
    env: Literal["development", "production", "test"] = "development"
    timezone: str = "America/New_York"
    past_days: int = Field(default=1, ge=0, le=36500)
    horizon_days: int = Field(default=365, ge=1, le=36500)
    max_occurrences_per_series: int = Field(default=1000, ge=1, le=100_000)
    user_agent: str = "Almanac/0.1 (+https://github.com/almanac-events/almanac)"
    fetch_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    fetch_connect_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    fetch_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    feed_parse_apart_bytes: int = Field(default=256 * 1024, ge=0)
    """Feeds at least this large are parsed in a child process while this one stores them."""
    fetch_max_redirects: int = Field(default=5, ge=0, le=20)
    allow_private_networks: bool = False
    allowed_private_hosts: str = ""
    """Comma-separated hosts (`host` or `host:port`) that may be fetched though they are
    private, when private networks are otherwise refused: an intranet calendar server."""
    host_min_interval_seconds: float = Field(default=1.0, ge=0, le=3600)
    host_max_concurrency: int = Field(default=2, ge=1, le=100)
    fetch_retries: int = Field(default=2, ge=0, le=10)
    fetch_retry_base_seconds: float = Field(default=1.0, ge=0, le=600)
    task_max_retries: int = Field(default=3, ge=0, le=20)
    task_retry_base_seconds: float = Field(default=60.0, ge=0, le=86400)
    task_time_limit_seconds: int = Field(default=1800, ge=10, le=86400)
    worker_shutdown_grace_seconds: int = Field(default=60, ge=1, le=3600)
    worker_max_tasks_per_child: int = Field(default=200, ge=1, le=100_000)
    worker_concurrency: int = Field(default=64, ge=1, le=1024)
    """Scrapes the worker of `make dev` and `make up` runs at once, shared among its
    processes, each running its share in threads. A scrape mostly waits on its sites
    and their politeness limits, so many more than the cores keep them busy."""
    worker_processes: int = Field(default=0, ge=0, le=256)
    """The worker's pool processes; 0 is one per CPU core it may use."""
    broker_visibility_timeout_seconds: int = Field(default=3600, ge=5, le=7 * 86400)
    """A task taken by a worker that then vanished whole (its main process killed, its
    machine gone) goes back to the queue this long after it was taken. It must be longer
    than any task runs and than its longest retry wait, or a task may run twice."""
    worker_niceness: int = Field(default=10, ge=0, le=19)
    """How much lower a worker's CPU priority is than the API's (Unix nice), so that
    readers are answered promptly while scrapes run on the same machine."""
    daily_run_hour: int = Field(default=6, ge=0, le=23)
    daily_run_minute: int = Field(default=0, ge=0, le=59)
    dispatch_interval_seconds: float = Field(default=60.0, gt=0, le=3600)
    run_retention_days: int = Field(default=90, ge=1, le=36500)
    dead_letter_retention_days: int = Field(default=30, ge=1, le=36500)
    beat_schedule_file: str = "var/celerybeat-schedule"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=2, ge=1, le=64)
    flower_port: int = Field(default=5555, ge=1, le=65535)
    flower_user: str = Field(default="almanac", pattern=r"^[^:,\s]+$")
    flower_password: str = Field(default="", pattern=r"^[^,\s]*$")
    beat_stale_after_seconds: int = Field(default=180, ge=10, le=86400)
    api_keys: str = ""
    """Comma-separated keys that may change things through the API (`api_key_list`)."""
    api_reads_require_key: bool = False
    cors_origins: str = ""
    """Comma-separated origins whose pages may call the API (`cors_origin_list`)."""
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1, le=1024 * 1024 * 1024)
    preview_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    calendar_domain: str = Field(
        default="almanac.invalid", pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"
    )
    """The right-hand side of every exported UID: set it once, as changing it changes them all."""
    calendar_name: str = Field(default="Almanac", min_length=1, max_length=200)

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            raise ValueError(
                "must be a PostgreSQL URL such as "
                "postgresql+psycopg://postgres@127.0.0.1:5432/almanac"
            )
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_only(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a Redis URL such as redis://127.0.0.1:6379/0")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone name (e.g. America/New_York)"
            ) from None
        return value

    @property
    def api_key_list(self) -> list[str]:
        return _comma_separated(self.api_keys)

    @property
    def allowed_private_host_list(self) -> frozenset[str]:
        return frozenset(host.lower() for host in _comma_separated(self.allowed_private_hosts))

    @property
    def cors_origin_list(self) -> list[str]:
        return _comma_separated(self.cors_origins)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def daily_run_time(self) -> time:
        """When the daily run starts, on the city's clock."""
        return time(self.daily_run_hour, self.daily_run_minute)


def _comma_separated(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _variable_name(loc: tuple[int | str, ...]) -> str:
    field = str(loc[0]) if loc else "?"
    if field.isupper():
        return field
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"ALMANAC_{field.upper()}"


def load_settings() -> Settings:
    """Read the settings, or raise `ConfigError` naming each bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = _variable_name(tuple(error["loc"]))
            if error["type"] == "missing":
                problems.append(f"{name} is not set")
                continue
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{name} is wrong: {message}")
        raise ConfigError(
            "Almanac cannot start, its configuration is wrong: "
            + "; ".join(problems)
            + " (see .env.example)"
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
