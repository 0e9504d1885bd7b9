"""Feeds this process built lately, kept by URL and ETag.

Building a large feed takes seconds, while telling whether it changed takes
one aggregate query. Calendar apps that poll without sending the ETag back
get the body built for the same URL and ETag, as long as it is kept: the
ETag changes with any change to the feed's rows, so a kept body is never
stale.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

MAX_FEEDS = 16
MAX_BYTES = 64 * 1024 * 1024


class FeedCache:
    """The latest feed bodies, least recently used dropped first, within a byte budget."""

    def __init__(self, max_feeds: int = MAX_FEEDS, max_bytes: int = MAX_BYTES) -> None:
        self._bodies: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._max_feeds = max_feeds
        self._max_bytes = max_bytes
        self._bytes = 0
        self._lock = Lock()

    def get(self, url: str, etag: str) -> bytes | None:
        with self._lock:
            body = self._bodies.get((url, etag))
            if body is not None:
                self._bodies.move_to_end((url, etag))
            return body

    def put(self, url: str, etag: str, body: bytes) -> None:
        if len(body) > self._max_bytes:
            return
        with self._lock:
            old = self._bodies.pop((url, etag), None)
            self._bytes -= len(old) if old is not None else 0
            self._bodies[(url, etag)] = body
            self._bytes += len(body)
            while len(self._bodies) > self._max_feeds or self._bytes > self._max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self._bytes -= len(dropped)


feed_cache = FeedCache()
"""The process's cache, shared by its requests."""
