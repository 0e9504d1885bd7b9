"""Mote Marine Laboratory & Aquarium (https://mote.org/events): monthly iCalendar exports.

Mote's calendar is The Events Calendar's month view. Each month's page links
its own export (`/events/month/2026-12/?ical=1`); those exports are the feeds
to read, and the "next month" link is followed for the next one, up to
`months` months from the window's start (and never past the window).

config:
  months: how many months of exports to collect (default 6)
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl, urlsplit

from bs4 import BeautifulSoup

from almanac.core.domain import Link, LinkKind, ParseProblem, ParseResult
from almanac.scrapers.context import ParseContext
from almanac.scrapers.ical_links import feed_urls
from almanac.scrapers.markup import absolute_url, attribute, html_tree

DEFAULT_MONTHS = 6

_MONTH_IN_PATH = re.compile(r"/month/(\d{4})-(\d{2})(?:/|$)")
_MONTH_IN_QUERY = re.compile(r"^(\d{4})-(\d{2})")
_NEXT_MONTH = (
    "a.tribe-events-c-nav__next[href]",
    "a.tribe-events-c-top-bar__nav-link--next[href]",
    "a[rel~=next][href]",
)
_MONTH_VIEW = "a.tribe-events-c-view-selector__list-item-link[href*='/month']"


def parse(body: bytes, url: str, context: ParseContext) -> ParseResult:
    tree = html_tree(body)
    result = ParseResult()
    if not _is_month_view(tree):
        month_view = absolute_url(url, attribute(tree.select_one(_MONTH_VIEW), "href"))
        if month_view is not None:
            result.links.append(Link(month_view, LinkKind.NEXT_PAGE))
            return result
    exports = _parse_exports(tree, url)
    if not exports:
        result.problems.append(
            ParseProblem("no iCalendar export link found on the calendar page", url)
        )
    result.links.extend(Link(feed, LinkKind.FEED) for feed in exports)
    next_month = _parse_next_month(tree, url, context)
    if next_month is not None:
        result.links.append(Link(next_month, LinkKind.NEXT_PAGE))
    return result


def _parse_exports(tree: BeautifulSoup, url: str) -> list[str]:
    """The page's own month exports; any other export of the site when it has none."""
    host = urlsplit(url).netloc.lower()
    exports = [
        feed
        for feed in feed_urls(tree, url)
        if urlsplit(feed).scheme in ("http", "https")
        and urlsplit(feed).netloc.lower() == host
        and ("ical", "1") in parse_qsl(urlsplit(feed).query)
    ]
    monthly = [feed for feed in exports if _month_of(feed) is not None]
    return monthly or exports


def _parse_next_month(tree: BeautifulSoup, url: str, context: ParseContext) -> str | None:
    for selector in _NEXT_MONTH:
        next_url = absolute_url(url, attribute(tree.select_one(selector), "href"))
        month = _month_of(next_url) if next_url else None
        if next_url is not None and month is not None:
            return next_url if month < _last_month(context) else None
    return None


def _last_month(context: ParseContext) -> date:
    """The first month not to collect."""
    first = context.window_start.astimezone(context.timezone).date().replace(day=1)
    months = _months(context.config.get("months"))
    ahead = first.year * 12 + first.month - 1 + months
    limit = date(ahead // 12, ahead % 12 + 1, 1)
    window_end = context.window_end.astimezone(context.timezone).date()
    return min(limit, window_end)


def _months(value: object) -> int:
    try:
        return max(1, int(str(value))) if value is not None else DEFAULT_MONTHS
    except ValueError:
        return DEFAULT_MONTHS


def _month_of(url: str) -> date | None:
    parts = urlsplit(url)
    found = _MONTH_IN_PATH.search(parts.path)
    if found is None:
        asked = dict(parse_qsl(parts.query)).get("tribe-bar-date", "")
        found = _MONTH_IN_QUERY.match(asked)
    if found is None:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    return date(year, month, 1) if 1 <= month <= 12 else None


def _is_month_view(tree: BeautifulSoup) -> bool:
    return tree.select_one(".tribe-events-view--month, .tribe-events-calendar-month") is not None
