"""Politeness across all workers: per-host concurrency and spacing, held in Redis.

Every fetch from any worker asks the gate for a slot on its host first. A slot
is a lease in a sorted set (so a crashed worker's slot expires) and the host's
next allowed start time; both are decided atomically by one Lua script.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

_RESERVE = """
local leases, next_key = KEYS[1], KEYS[2]
local now, interval, limit, lease, token =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
if redis.call('ZCARD', leases) >= limit then
  local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  return math.max(1, math.min(tonumber(first[2]) - now, 50))
end
local next_at = tonumber(redis.call('GET', next_key) or '0')
if now < next_at then
  return next_at - now
end
redis.call('ZADD', leases, now + lease, token)
redis.call('PEXPIRE', leases, lease)
redis.call('SET', next_key, now + interval, 'PX', math.max(interval, 1) + 1000)
return 0
"""


@dataclass(frozen=True, slots=True)
class HostPolicy:
    min_interval_seconds: float
    max_concurrency: int
    lease_seconds: float = 120.0


class HostGate:
    """Waits for, and holds, a slot on a host; reports how long it waited."""

    def __init__(self, client: redis.Redis[bytes], prefix: str = "almanac:host") -> None:
        self._redis = client
        self._prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        # Leases need tokens unique across workers; drawing a UUID for each costs
        # more than the rest of the request, so one is drawn per gate and counted on.
        self._tokens = itertools.count()
        self._token_prefix = f"{uuid.uuid4().hex}:{os.getpid()}"

    @contextmanager
    def slot(self, host: str, policy: HostPolicy, waited: list[float]) -> Iterator[None]:
        """Hold a slot on `host` for the duration of the block; appends the wait to `waited`."""
        token = f"{self._token_prefix}:{next(self._tokens)}"
        leases, next_key = f"{self._prefix}:{host}:leases", f"{self._prefix}:{host}:next"
        started = time.monotonic()
        while True:
            now_ms = int(time.time() * 1000)
            wait_ms = int(
                self._reserve(
                    keys=[leases, next_key],
                    args=[
                        now_ms,
                        int(policy.min_interval_seconds * 1000),
                        policy.max_concurrency,
                        int(policy.lease_seconds * 1000),
                        token,
                    ],
                )
            )
            if wait_ms <= 0:
                break
            time.sleep(wait_ms / 1000)
        waited.append(time.monotonic() - started)
        try:
            yield
        finally:
            self._redis.zrem(leases, token)
