"""The window a run expands recurring events over: whole days in the source's zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from almanac.db.window import Window


def day_window(now: datetime, zone: ZoneInfo, past_days: int, horizon_days: int) -> Window:
    """From the start of the day `past_days` ago to the end of the day `horizon_days` ahead.

    It moves once a day, not with every run, so a body read earlier the same
    day need not be read again.
    """
    today = now.astimezone(zone).date()
    first = today - timedelta(days=past_days)
    after_last = today + timedelta(days=horizon_days + 1)
    return Window(datetime.combine(first, time(), zone), datetime.combine(after_last, time(), zone))
