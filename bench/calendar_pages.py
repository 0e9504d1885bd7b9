"""The calendar pages of a bench web site: a page that links to iCalendar feeds, and the feeds.

`/calendars/{feeds}x{per_feed}` is a page of `feeds` links, one per
`/calendars/{feeds}x{per_feed}/{n}.ics`, each a feed of `per_feed` events
(`bench.feed`), the way a venue offers one feed per season or per room: an
`ical_links` source. The Host a request was sent to seeds the feeds, so every
host name has feeds of its own; the same request always gets the same bytes,
dated from the server's anchor day.
"""

from __future__ import annotations

import html
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from bench.feed import generate

CONTENT_TYPE = "text/calendar; charset=utf-8"
_TARGET = re.compile(r"^/calendars/(\d+)x(\d+)(?:/(\d+)\.ics)?$")


@dataclass(frozen=True, slots=True)
class CalendarShape:
    feeds: int
    per_feed: int

    @property
    def events(self) -> int:
        return self.feeds * self.per_feed

    @property
    def pages(self) -> int:
        """The page of links and its feeds; robots.txt is not counted."""
        return 1 + self.feeds

    def page_url(self, origin: str) -> str:
        return f"{origin}/calendars/{self.feeds}x{self.per_feed}"

    def feed_url(self, origin: str, number: int) -> str:
        return f"{self.page_url(origin)}/{number}.ics"


def render_calendar(host: str, target: str, anchor: date) -> tuple[int, str, bytes] | None:
    """(status, content type, body) of a calendar target on the site at `host`; None if
    `target` is not one."""
    match = _TARGET.match(target)
    if match is None:
        return None
    shape = CalendarShape(int(match[1]), int(match[2]))
    if match[3] is None:
        return 200, "text/html; charset=utf-8", _links_page(shape)
    number = int(match[3])
    if number >= shape.feeds:
        return 404, "text/plain", b"no such feed\n"
    seed = zlib.crc32(f"{host}{target}".encode())
    start = datetime.combine(anchor, time(), UTC)
    return 200, CONTENT_TYPE, generate(shape.per_feed, start, seed=seed)


def _links_page(shape: CalendarShape) -> bytes:
    links = "".join(
        f'<li><a href="{html.escape(shape.feed_url("", n))}">Season {n + 1} (iCalendar)</a></li>'
        for n in range(shape.feeds)
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Calendars</title>'
        f"</head><body><main><h1>Subscribe</h1><ul>{links}</ul></main></body></html>"
    ).encode()
