"""Beat's heartbeat: on every tick, beat writes the time into Redis, so the
API's readiness check can tell whether anything is sending scheduled runs.

`celery beat` uses this scheduler through the app's `beat_scheduler`; it is
Celery's persistent scheduler (the schedule file) and one Redis write per tick.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from celery.beat import PersistentScheduler

from almanac.core.heartbeat import BEAT_HEARTBEAT_KEY, HEARTBEAT_TTL_SECONDS
from almanac.core.settings import get_settings

log = logging.getLogger("almanac.worker.beat")
TICK_SECONDS = 30.0
"""Beat wakes at least this often, so the heartbeat is never older than this
while beat is up (Celery's default is 5 minutes)."""


class HeartbeatScheduler(PersistentScheduler):
    """Celery's persistent scheduler that also beats into Redis on each tick."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_interval"] = min(kwargs.get("max_interval") or TICK_SECONDS, TICK_SECONDS)
        super().__init__(*args, **kwargs)
        self._redis = redis.Redis.from_url(
            get_settings().redis_url, socket_connect_timeout=2, socket_timeout=2
        )
        self._beat_failing = False

    def tick(self, *args: Any, **kwargs: Any) -> float:
        self.beat()
        delay: float = super().tick(*args, **kwargs)
        return delay

    def beat(self) -> None:
        """Write the time; a Redis outage is logged once, and beat goes on."""
        try:
            self._redis.set(BEAT_HEARTBEAT_KEY, f"{time.time():.3f}", ex=HEARTBEAT_TTL_SECONDS)
        except redis.RedisError as exc:
            if not self._beat_failing:
                log.warning("cannot write beat's heartbeat to Redis: %s", exc)
            self._beat_failing = True
            return
        if self._beat_failing:
            log.info("beat's heartbeat reaches Redis again")
        self._beat_failing = False

    def close(self) -> None:
        super().close()
        self._redis.close()
