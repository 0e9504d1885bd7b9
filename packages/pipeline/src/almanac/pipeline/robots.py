"""robots.txt: fetched once per host and day, kept in Redis, read with protego."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import redis
from protego import Protego

ROBOTS_TTL_SECONDS = 24 * 3600
KEY_PREFIX = "almanac:robots:"
"""Followed by the origin: where each host's robots.txt is kept."""


class RobotsRules:
    """The robots.txt rules of each host, shared by every worker."""

    def __init__(self, client: redis.Redis[bytes], fetch_text: Callable[[str], str | None]) -> None:
        self._redis = client
        self._fetch_text = fetch_text
        self._parsed: dict[str, Protego] = {}

    def _rules(self, url: str) -> Protego:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._parsed:
            return self._parsed[origin]
        key = f"{KEY_PREFIX}{origin}"
        cached = self._redis.get(key)
        if cached is None:
            text = self._fetch_text(origin + "/robots.txt") or ""
            self._redis.set(key, text.encode(), ex=ROBOTS_TTL_SECONDS)
        else:
            text = cached.decode("utf-8", errors="replace")
        rules = Protego.parse(text)
        self._parsed[origin] = rules
        return rules

    def allowed(self, url: str, user_agent: str) -> bool:
        return bool(self._rules(url).can_fetch(url, user_agent))

    def crawl_delay(self, url: str, user_agent: str) -> float | None:
        delay = self._rules(url).crawl_delay(user_agent)
        return float(delay) if delay is not None else None
