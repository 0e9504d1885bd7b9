"""Pages that link to iCalendar feeds: no events of their own, only the feeds to read.

A feed is an `<a href>`, or a `<link rel="alternate" type="text/calendar">`,
whose address is `webcal:`, ends in `.ics`, or asks for `ical=1` (The Events
Calendar's exports). Addresses are made absolute; `webcal:` ones are kept as
written (the fetcher reads them over HTTPS), and a feed linked both ways is
listed once, as it is first linked.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit, urlunsplit

from bs4 import Tag

from almanac.core.domain import Link, LinkKind, ParseResult
from almanac.scrapers.context import ParseContext
from almanac.scrapers.markup import absolute_url, attribute, html_tree

CALENDAR_TYPE = "text/calendar"
_WEBCAL = ("webcal://", "webcals://")


def parse(body: bytes, url: str, context: ParseContext) -> ParseResult:
    return ParseResult(
        links=[Link(feed, LinkKind.FEED) for feed in feed_urls(html_tree(body), url)]
    )


def feed_urls(tree: Tag, base: str) -> list[str]:
    """The iCalendar feeds `tree` links to, absolute, each once, in page order."""
    feeds: dict[str, str] = {}
    for tag in tree.select("a[href], link[href]"):
        typed = (attribute(tag, "type") or "").lower().startswith(CALENDAR_TYPE)
        if tag.name == "link" and not (typed and "alternate" in (attribute(tag, "rel") or "")):
            continue
        feed = _feed_url(base, attribute(tag, "href"), typed)
        if feed is not None:
            feeds.setdefault(_same_feed(feed), feed)
    return list(feeds.values())


def _feed_url(base: str, href: str | None, typed: bool) -> str | None:
    if href is None:
        return None
    if href.strip().lower().startswith(_WEBCAL):
        return href.strip()
    url = absolute_url(base, href)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    if typed or parts.path.lower().endswith(".ics"):
        return url
    asks_for_ical = ("ical", "1") in parse_qsl(parts.query, keep_blank_values=True)
    return url if asks_for_ical else None


def _same_feed(url: str) -> str:
    """One key for the `webcal:`, `http:` and `https:` spellings of a feed."""
    parts = urlsplit(url)
    return urlunsplit(("https", parts.netloc.lower(), parts.path, parts.query, ""))
