"""The cache of built feeds keeps the latest ones, within its limits."""

from __future__ import annotations

from almanac.api.feed_cache import FeedCache


def test_a_feed_is_found_by_its_url_and_etag_only() -> None:
    cache = FeedCache()
    cache.put("/events.ics", '"a"', b"first")
    assert cache.get("/events.ics", '"a"') == b"first"
    assert cache.get("/events.ics", '"b"') is None
    assert cache.get("/events.ics?free=true", '"a"') is None


def test_the_least_recently_used_feed_goes_first() -> None:
    cache = FeedCache(max_feeds=2)
    cache.put("/a.ics", '"1"', b"a")
    cache.put("/b.ics", '"1"', b"b")
    assert cache.get("/a.ics", '"1"') == b"a"
    cache.put("/c.ics", '"1"', b"c")
    assert cache.get("/b.ics", '"1"') is None
    assert (cache.get("/a.ics", '"1"'), cache.get("/c.ics", '"1"')) == (b"a", b"c")


def test_feeds_beyond_the_byte_budget_are_dropped_or_not_kept() -> None:
    cache = FeedCache(max_bytes=10)
    cache.put("/a.ics", '"1"', b"x" * 6)
    cache.put("/b.ics", '"1"', b"y" * 6)
    assert cache.get("/a.ics", '"1"') is None
    assert cache.get("/b.ics", '"1"') == b"y" * 6
    cache.put("/huge.ics", '"1"', b"z" * 11)
    assert cache.get("/huge.ics", '"1"') is None
    assert cache.get("/b.ics", '"1"') == b"y" * 6
