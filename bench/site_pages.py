"""The pages of a bench web site: listings of events, and a page of its own per event.

A site's shape is in its paths, `/{listings}x{per_listing}/events`: listing
page n (`?page=n` after the first) describes `per_listing` events in JSON-LD,
links each to its own page (`a.more`) and the next listing with
`<a rel="next">`; `/{listings}x{per_listing}/events/{number}` is an event's
own page; `bench.calendar_pages` adds pages of iCalendar feeds. The Host a
request was sent to goes into the text and the links, so every host name is a
site of its own. The same request always gets the same bytes, dated from the
server's anchor day.
"""

from __future__ import annotations

import html
import json
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.calendar_pages import render_calendar
from bench.feed import VENUES, WORDS

DETAIL_LINKS = "a.more"
"""The `detail_links` option of every bench site's source."""
ZONE = ZoneInfo("America/New_York")
ROBOTS = b"User-agent: *\nAllow: /\n"
_TARGET = re.compile(r"^/(\d+)x(\d+)/events(?:/(\d+)|\?page=(\d+))?$")


@dataclass(frozen=True, slots=True)
class SiteShape:
    listings: int
    per_listing: int

    @property
    def events(self) -> int:
        return self.listings * self.per_listing

    @property
    def pages(self) -> int:
        """Listing pages and event pages; robots.txt is not counted."""
        return self.listings + self.events

    def listing_url(self, origin: str, page: int = 1) -> str:
        path = f"/{self.listings}x{self.per_listing}/events"
        return f"{origin}{path}" if page == 1 else f"{origin}{path}?page={page}"

    def event_url(self, origin: str, number: int) -> str:
        return f"{origin}/{self.listings}x{self.per_listing}/events/{number}"

    def page_urls(self, origin: str) -> list[str]:
        listings = [self.listing_url(origin, page) for page in range(1, self.listings + 1)]
        return listings + [self.event_url(origin, n) for n in range(self.events)]


def render(host: str, target: str, anchor: date) -> tuple[int, str, bytes]:
    """(status, content type, body) of `target` on the site at `host`."""
    if target == "/robots.txt":
        return 200, "text/plain", ROBOTS
    calendar = render_calendar(host, target, anchor)
    if calendar is not None:
        return calendar
    match = _TARGET.match(target)
    if match is None:
        return 404, "text/plain", b"not found\n"
    shape = SiteShape(int(match[1]), int(match[2]))
    origin = f"http://{host}"
    if match[3] is not None:
        number = int(match[3])
        if number >= shape.events:
            return 404, "text/plain", b"no such event\n"
        return 200, "text/html; charset=utf-8", _event_page(shape, origin, number, anchor)
    page = int(match[4] or 1)
    if not 1 <= page <= shape.listings:
        return 404, "text/plain", b"no such page\n"
    return 200, "text/html; charset=utf-8", _listing_page(shape, origin, page, anchor)


@dataclass(frozen=True, slots=True)
class _Event:
    title: str
    starts: datetime
    ends: datetime
    venue: str
    summary: str
    description: str
    price: int


def _event(origin: str, number: int, anchor: date) -> _Event:
    rng = random.Random(f"{origin}/{number}")
    day = anchor + timedelta(days=rng.randint(2, 300))
    starts = datetime.combine(day, time(rng.randint(10, 21), rng.choice((0, 30))), ZONE)
    words = [rng.choice(WORDS) for _ in range(rng.randint(40, 90))]
    return _Event(
        title=" ".join(rng.choice(WORDS) for _ in range(3)).title() + f" #{number}",
        starts=starts,
        ends=starts + timedelta(minutes=rng.choice((60, 90, 120))),
        venue=rng.choice(VENUES),
        summary=" ".join(words[:16]).capitalize() + ".",
        description=" ".join(words).capitalize() + ". Doors open half an hour before.",
        price=rng.choice((0, 10, 15, 25, 40)),
    )


def _json_ld(event: _Event, url: str, *, full: bool) -> str:
    name, _, address = event.venue.partition(", ")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MusicEvent",
        "name": event.title,
        "url": url,
        "startDate": event.starts.isoformat(),
        "endDate": event.ends.isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "location": {
            "@type": "Place",
            "name": name,
            "address": {"@type": "PostalAddress", "streetAddress": address},
        },
        "description": event.description if full else event.summary,
        "offers": {
            "@type": "Offer",
            "price": str(event.price),
            "priceCurrency": "USD",
            "url": url + "#tickets",
        },
    }
    if full:
        data["image"] = url + ".jpg"
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def _frame(origin: str, title: str, main: str) -> bytes:
    site = html.escape(origin.removeprefix("http://"))
    menu = "".join(f'<li><a href="/{word}">{word.title()}</a></li>' for word in WORDS[:12])
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} | {site}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/static/site.css"></head><body>'
        f'<header><a class="logo" href="/">{site}</a><nav><ul>{menu}</ul></nav></header>'
        f"<main>{main}</main>"
        f"<footer><p>{site} · 1 Main St, Sarasota, FL</p><ul>{menu}</ul></footer>"
        "</body></html>"
    ).encode()


def _listing_page(shape: SiteShape, origin: str, page: int, anchor: date) -> bytes:
    cards = []
    first = (page - 1) * shape.per_listing
    for number in range(first, first + shape.per_listing):
        event = _event(origin, number, anchor)
        url = shape.event_url(origin, number)
        path = url.removeprefix(origin)
        cards.append(
            '<article class="event">'
            f"<h2>{html.escape(event.title)}</h2>"
            f'<time datetime="{event.starts.isoformat()}">{event.starts:%a %b %d, %I:%M %p}</time>'
            f"<p>{html.escape(event.summary)}</p>"
            f'<a class="more" href="{path}">Details and tickets</a>'
            f"{_json_ld(event, url, full=False)}</article>"
        )
    pager = ""
    if page < shape.listings:
        pager = f'<a rel="next" href="{shape.listing_url("", page + 1)}">Next page</a>'
    return _frame(origin, f"Events, page {page}", "".join(cards) + f"<nav>{pager}</nav>")


def _event_page(shape: SiteShape, origin: str, number: int, anchor: date) -> bytes:
    event = _event(origin, number, anchor)
    url = shape.event_url(origin, number)
    main = (
        f'<article class="event"><h1>{html.escape(event.title)}</h1>'
        f"<p>{event.starts:%A %B %d %Y, %I:%M %p} at {html.escape(event.venue)}</p>"
        f"<p>{html.escape(event.description)}</p>"
        f'<p><a href="{url}#tickets">Tickets ${event.price}</a></p>'
        f"{_json_ld(event, url, full=True)}</article>"
    )
    return _frame(origin, event.title, main)
