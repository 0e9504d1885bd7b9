"""Politeness across all workers: per-host concurrency and spacing, held in Redis.

Every fetch from any worker asks the gate for a slot on its host first. A slot
is a lease in a sorted set (so a crashed worker's slot expires) and the host's
next allowed start time; both are decided atomically by one Lua script.

The interval is counted from when a request actually went out, not from when
its slot was granted: a busy worker may take a while between the two, and the
site would see two requests closer together than it was promised. So while a
granted request has not yet been sent, no other slot on its host is granted
(for at most `send_hold_seconds`, should its worker die), and once it has been
sent the next may start `min_interval_seconds` later.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

_RESERVE = """
local leases, next_key, sending_key = KEYS[1], KEYS[2], KEYS[3]
local now, interval, limit, lease, token, hold =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5],
  tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
if redis.call('ZCARD', leases) >= limit then
  local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  return math.max(1, math.min(tonumber(first[2]) - now, 50))
end
if interval > 0 and redis.call('EXISTS', sending_key) == 1 then
  return interval
end
local next_at = tonumber(redis.call('GET', next_key) or '0')
if now < next_at then
  return next_at - now
end
redis.call('ZADD', leases, now + lease, token)
redis.call('PEXPIRE', leases, lease)
redis.call('SET', next_key, now + interval, 'PX', math.max(interval, 1) + 1000)
if interval > 0 then
  redis.call('SET', sending_key, token, 'PX', hold)
end
return 0
"""

_SENT = """
local next_key, sending_key = KEYS[1], KEYS[2]
local now, interval, token = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
if redis.call('GET', sending_key) == token then
  redis.call('DEL', sending_key)
  redis.call('SET', next_key, now + interval, 'PX', math.max(interval, 1) + 1000)
end
return 0
"""


@dataclass(slots=True)
class _Kept:
    host: str
    leases_key: str
    token: str
    fresh_until: float
    """Monotonic time past which the slot is taken afresh: half its lease."""


class SlotKeeper:
    """The slot one thread keeps between its fetches from a host without an interval."""

    def __init__(self, client: redis.Redis[bytes]) -> None:
        self._redis = client
        self._kept: _Kept | None = None

    def take(self, host: str) -> _Kept | None:
        """The slot kept on `host`, if one is and its lease is fresh; any other is given back."""
        kept = self._kept
        if kept is not None and kept.host == host and time.monotonic() < kept.fresh_until:
            return kept
        self.release()
        return None

    def keep(self, kept: _Kept) -> None:
        self._kept = kept

    def release(self) -> None:
        """Give the kept slot back, if there is one."""
        kept, self._kept = self._kept, None
        if kept is not None:
            self._redis.zrem(kept.leases_key, kept.token)


@dataclass(frozen=True, slots=True)
class HostPolicy:
    min_interval_seconds: float
    max_concurrency: int
    lease_seconds: float = 120.0
    send_hold_seconds: float = 30.0
    """The longest a granted request that is never reported sent keeps the host waiting."""


class HostGate:
    """Waits for, and holds, a slot on a host; reports how long it waited."""

    def __init__(self, client: redis.Redis[bytes], prefix: str = "almanac:host") -> None:
        self._redis = client
        self._prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._sent = client.register_script(_SENT)
        # Leases need tokens unique across workers; drawing a UUID for each costs
        # more than the rest of the request, so one is drawn per gate and counted on.
        self._tokens = itertools.count()
        self._token_prefix = f"{uuid.uuid4().hex}:{os.getpid()}"

    def keeper(self) -> SlotKeeper:
        return SlotKeeper(self._redis)

    @contextmanager
    def slot(
        self,
        host: str,
        policy: HostPolicy,
        waited: list[float],
        keeper: SlotKeeper | None = None,
    ) -> Iterator[Callable[[], None]]:
        """Hold a slot on `host` for the duration of the block; appends the wait to `waited`.

        The block calls what it is given as its request goes out (any later call does
        nothing); if it never does, the slot counts as sent when the block ends. With
        a `keeper` and no interval, the slot outlives a block that ends normally: the
        keeper's next block on the same host uses it again.
        """
        keeping = keeper is not None and policy.min_interval_seconds <= 0
        if keeper is not None and not keeping:
            keeper.release()
        if keeping and keeper is not None and keeper.take(host) is not None:
            waited.append(0.0)
            try:
                yield _nothing
            except BaseException:
                keeper.release()
                raise
            return
        token = f"{self._token_prefix}:{next(self._tokens)}"
        leases, next_key = f"{self._prefix}:{host}:leases", f"{self._prefix}:{host}:next"
        sending_key = f"{self._prefix}:{host}:sending"
        interval_ms = int(policy.min_interval_seconds * 1000)
        started = time.monotonic()
        while True:
            now_ms = int(time.time() * 1000)
            wait_ms = int(
                self._reserve(
                    keys=[leases, next_key, sending_key],
                    args=[
                        now_ms,
                        interval_ms,
                        policy.max_concurrency,
                        int(policy.lease_seconds * 1000),
                        token,
                        max(1, int(policy.send_hold_seconds * 1000)),
                    ],
                )
            )
            if wait_ms <= 0:
                break
            time.sleep(wait_ms / 1000)
        waited.append(time.monotonic() - started)
        reported = False

        def sent() -> None:
            nonlocal reported
            if reported or interval_ms <= 0:
                return
            reported = True
            self._sent(
                keys=[next_key, sending_key],
                args=[int(time.time() * 1000), interval_ms, token],
            )

        granted = time.monotonic()
        kept = False
        try:
            yield sent
            if keeping and keeper is not None:
                keeper.keep(_Kept(host, leases, token, granted + policy.lease_seconds / 2))
                kept = True
        finally:
            if not kept:
                try:
                    sent()
                finally:
                    self._redis.zrem(leases, token)


def _nothing() -> None:
    """What a kept slot's block calls as its request goes out: it has no interval to start."""
