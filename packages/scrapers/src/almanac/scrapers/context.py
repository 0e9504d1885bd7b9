"""What a parser knows besides the bytes: the source's options, zone and window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from almanac.core.domain import PageRole


@dataclass(frozen=True, slots=True)
class ParseContext:
    """The frame a parser reads a body in.

    `timezone` is the zone for times a source writes without one (floating
    iCalendar times, dates on a page); occurrences are kept when they overlap
    `window_start`–`window_end`.
    """

    timezone: ZoneInfo
    window_start: datetime
    window_end: datetime
    config: dict[str, Any] = field(default_factory=dict)
    max_occurrences_per_series: int = 1000
    page: PageRole = PageRole.LISTING
    """A listing (the source's URL and its next pages) or an event's detail page."""

    @classmethod
    def around(
        cls,
        now: datetime,
        timezone: ZoneInfo,
        past_days: int,
        horizon_days: int,
        config: dict[str, Any] | None = None,
    ) -> ParseContext:
        return cls(
            timezone=timezone,
            window_start=now - timedelta(days=past_days),
            window_end=now + timedelta(days=horizon_days),
            config=config or {},
        )
