"""Kombu's Redis transport, made to survive Redis going away while a task runs.

A channel reads its connection's address each time it makes a Redis client.
When the broker connection drops, the worker releases that connection before
it has finished with the channel: putting the channel's unacknowledged
messages back, and acknowledging a task that ends after the drop, then fail
with an `AttributeError`, which Celery takes for an unrecoverable error, and a
worker busy with a task shuts down instead of reconnecting.

Here a channel remembers the address it was opened with and uses it once its
connection is gone: Redis being away is then an ordinary connection error,
which Celery rides out, and a task that ends after Redis is back is
acknowledged there.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis


class Channel(redis.Channel):
    _opened_with: dict[bool, dict[str, Any]]

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        remembered = self.__dict__.setdefault("_opened_with", {})
        if self.connection.client is None and asynchronous in remembered:
            return dict(remembered[asynchronous])
        params: dict[str, Any] = super()._connparams(asynchronous=asynchronous)  # type: ignore[no-untyped-call]
        remembered[asynchronous] = dict(params)
        return params


class Transport(redis.Transport):
    Channel = Channel


TRANSPORT = f"{__name__}:Transport"
"""The `broker_transport` that names this transport."""
