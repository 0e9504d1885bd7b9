"""The demo site's files are templates, so their events are always upcoming.

A file may say:

- `{{base}}`: the site's own address, e.g. `http://127.0.0.1:8800`;
- `{{DAYS|FORMAT}}`: today plus DAYS days (`+3`, `-6`, `0`), as strftime FORMAT;
- `{{DAYS HH:MM|FORMAT}}`: that day at that local time;
- `{{DAYS HH:MM utc|FORMAT}}`: the same moment in UTC.

Days and times are those of the venues' city (`SITE_ZONE`), whatever the
machine's zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SITE_ZONE = ZoneInfo("America/New_York")

_PLACEHOLDER = re.compile(
    r"\{\{\s*(?:(?P<base>base)|(?P<days>[+-]?\d+)(?:\s+(?P<time>\d{1,2}:\d{2}))?"
    r"(?P<utc>\s+utc)?\s*\|(?P<format>[^}]*))\s*\}\}"
)


def render(text: str, base: str, today: date) -> str:
    """`text` with every placeholder replaced."""

    def replace(match: re.Match[str]) -> str:
        if match["base"]:
            return base
        day = today + timedelta(days=int(match["days"]))
        if match["time"] is None:
            return day.strftime(match["format"])
        hour, minute = (int(part) for part in match["time"].split(":"))
        moment = datetime.combine(day, time(hour, minute), SITE_ZONE)
        if match["utc"]:
            moment = moment.astimezone(UTC)
        return moment.strftime(match["format"])

    return _PLACEHOLDER.sub(replace, text)


def site_today() -> date:
    return datetime.now(SITE_ZONE).date()
