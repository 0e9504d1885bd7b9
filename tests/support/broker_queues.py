"""What waits in the broker's queues, read straight from Redis, for tests in which no
worker takes the scrapes sent, so that each one can be counted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import redis


def queued_scrapes(client: redis.Redis) -> list[str]:
    """The source of every `almanac.scrape_source` message waiting in the scrape queue."""
    sources = []
    for key in client.keys("scrape*"):
        for raw in client.lrange(key, 0, -1):
            headers = json.loads(raw)["headers"]
            assert headers["task"] == "almanac.scrape_source"
            sources.append(json.loads(headers["kwargsrepr"].replace("'", '"'))["source"])
    return sources


@contextmanager
def emptied_queues(redis_url: str) -> Iterator[redis.Redis]:
    """The broker's Redis, its scrape and maintenance queues emptied before and after."""
    client = redis.Redis.from_url(redis_url)

    def empty() -> None:
        for key in client.keys("scrape*") + client.keys("maintenance*"):
            client.delete(key)

    empty()  # scrapes earlier tests sent with no worker to take them
    try:
        yield client
    finally:
        empty()  # what the test leaves for no worker
        client.close()
