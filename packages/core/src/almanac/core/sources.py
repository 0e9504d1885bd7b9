"""A source as an operator writes it: in `sources.yaml`, the CLI or the API."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from almanac.core.domain import SLUG_PATTERN, SourceKind
from almanac.core.schedules import check_cron


class SourceSpec(BaseModel):
    """The operator-owned fields of a source (its fetch state and health are Almanac's)."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1)
    kind: SourceKind
    url: str = Field(pattern=r"^(https?|webcal)://")
    config: dict[str, Any] = Field(default_factory=dict)
    schedule: str | None = None
    timezone: str | None = None
    enabled: bool = True
    default_categories: list[str] = Field(default_factory=list)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone name") from None
        return value


class SourcesFile(BaseModel):
    """The top level of a sources YAML file."""

    model_config = ConfigDict(extra="forbid")

    sources: list[SourceSpec]
