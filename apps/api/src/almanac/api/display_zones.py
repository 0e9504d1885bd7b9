"""The zone an occurrence is shown in: its own, when it is a zone at all."""

from __future__ import annotations

from datetime import UTC, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=512)
def display_zone(name: str) -> tzinfo:
    """The IANA zone of this name; UTC when the name is not one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
