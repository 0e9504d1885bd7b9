"""The window a run expands recurring events over: whole days in the source's zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from almanac.core.settings import Settings
from almanac.db.window import Window
from almanac.scrapers.context import ParseContext


def day_window(now: datetime, zone: ZoneInfo, past_days: int, horizon_days: int) -> Window:
    """From the start of the day `past_days` ago to the end of the day `horizon_days` ahead.

    It moves once a day, not with every run, so a body read earlier the same
    day need not be read again.
    """
    today = now.astimezone(zone).date()
    first = today - timedelta(days=past_days)
    after_last = today + timedelta(days=horizon_days + 1)
    return Window(datetime.combine(first, time(), zone), datetime.combine(after_last, time(), zone))


def read_frame(
    settings: Settings, timezone: str | None, config: dict[str, Any], now: datetime
) -> tuple[Window, ParseContext]:
    """The window of a source's run, and the context its parser reads in."""
    zone = ZoneInfo(timezone or settings.timezone)
    window = day_window(now, zone, settings.past_days, settings.horizon_days)
    context = ParseContext(
        timezone=zone,
        window_start=window.start,
        window_end=window.end,
        config=config,
        max_occurrences_per_series=settings.max_occurrences_per_series,
    )
    return window, context
