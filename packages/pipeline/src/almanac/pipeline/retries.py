"""When and how long to wait before trying a fetch again."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_SECONDS = 300.0


def backoff_seconds(attempt: int, base: float, cap: float = 60.0) -> float:
    """Exponential backoff with full jitter: attempt 1 waits up to `base`, then doubles."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), capped."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return min(float(header), MAX_RETRY_AFTER_SECONDS)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), MAX_RETRY_AFTER_SECONDS)
