"""Where beat leaves its heartbeat, for the API's readiness check to read."""

from __future__ import annotations

BEAT_HEARTBEAT_KEY = "almanac:beat:heartbeat"
"""A Redis key: the Unix time of beat's last tick."""
HEARTBEAT_TTL_SECONDS = 24 * 3600
"""The key goes away a day after beat stopped, so a stale time still reads as one."""
