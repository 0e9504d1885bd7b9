"""Van Wezel Performing Arts Hall (https://www.vanwezel.org/events).

The listing pages link each show's own page (`/events/detail/<show>`) and the
next listing page; the show's page lists its performances, each read as an
occurrence named by its start, so one performance can be moved or cancelled
without touching the others. A page that gives only a date (or a range of
dates) and a start time stands for a single performance, or for all-day
dates when it is a range.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from almanac.core.domain import (
    Link,
    LinkKind,
    OccurrenceIn,
    PageRole,
    ParseProblem,
    ParseResult,
)
from almanac.scrapers.context import ParseContext
from almanac.scrapers.dates import DateProblem
from almanac.scrapers.markup import absolute_url, attribute, html_tree, inner_html, text_of
from almanac.scrapers.page_dates import read_span
from almanac.scrapers.page_events import build_event, occurrence, status_from

HALL = "Van Wezel Performing Arts Hall, 777 N Tamiami Trail, Sarasota, FL 34236"

_SHOW_LINKS = ".eventItem .title a[href], .eventItem .thumb a[href], .eventItem a.more[href]"
_NEXT_PAGE = (
    ".pagination a[rel~=next][href]",
    ".pagination a.next[href]",
    "a[rel~=next][href]",
    "a#loadMoreEvents[href]",
)
_DETAIL_PATH = "/events/detail/"


def parse(body: bytes, url: str, context: ParseContext) -> ParseResult:
    tree = html_tree(body)
    if context.page is PageRole.DETAIL:
        return _parse_show(tree, url, context)
    result = ParseResult()
    for show in _parse_show_links(tree, url):
        result.links.append(Link(show, LinkKind.DETAIL))
    next_page = _parse_next_page(tree, url)
    if next_page is not None:
        result.links.append(Link(next_page, LinkKind.NEXT_PAGE))
    return result


def _parse_show_links(tree: BeautifulSoup, url: str) -> list[str]:
    """The shows' own pages on this site (ticket sellers' pages are left alone)."""
    host = urlsplit(url).netloc.lower()
    shows: dict[str, None] = {}
    for anchor in tree.select(_SHOW_LINKS):
        show = absolute_url(url, attribute(anchor, "href"))
        if show is None:
            continue
        parts = urlsplit(show)
        if parts.netloc.lower() == host and _DETAIL_PATH in parts.path:
            shows.setdefault(show, None)
    return list(shows)


def _parse_next_page(tree: BeautifulSoup, url: str) -> str | None:
    for selector in _NEXT_PAGE:
        next_page = absolute_url(url, attribute(tree.select_one(selector), "href"))
        if next_page is not None and next_page != url:
            return next_page
    return None


def _parse_show(tree: BeautifulSoup, url: str, context: ParseContext) -> ParseResult:
    result = ParseResult()
    title = _parse_title(tree)
    if title is None:
        result.problems.append(ParseProblem("no show found on the page", url))
        return result
    status = status_from(title, text_of(tree.select_one(".event_status, .eventStatus")))
    performances = _parse_performances(tree, title, context, result.problems)
    if not performances:
        if not result.problems:
            result.problems.append(ParseProblem("show skipped, it lists no performances", title))
        return result
    event = build_event(
        context,
        title=title,
        occurrences=performances,
        url=url,
        description=_parse_description(tree),
        image_url=_parse_image(tree, url),
        location_text=_parse_location(tree),
        price=_parse_price(tree),
        status=status,
    )
    if event is not None:
        result.events.append(event)
    return result


def _parse_title(tree: BeautifulSoup) -> str | None:
    heading = tree.select_one(".event_heading .title, .event_detail h1, h1.title")
    return text_of(heading) or attribute(tree.select_one("meta[property='og:title']"), "content")


def _parse_performances(
    tree: BeautifulSoup, title: str, context: ParseContext, problems: list[ParseProblem]
) -> list[OccurrenceIn]:
    showings = tree.select(".event_showings .showing")
    if not showings:
        return _parse_dates(tree, title, context, problems)
    performances = []
    for showing in showings:
        date_text = text_of(showing.select_one(".showing_date")) or ""
        time_text = text_of(showing.select_one(".showing_time"))
        try:
            start, end = read_span(date_text, time_text, context)
        except DateProblem as exc:
            reason = f"performance skipped, its date cannot be read: {exc}"
            problems.append(ParseProblem(reason, title))
            continue
        status = status_from(text_of(showing.select_one(".showing_status")))
        performances.append(occurrence(start, end, context.timezone, keyed=True, status=status))
    return performances


def _parse_dates(
    tree: BeautifulSoup, title: str, context: ParseContext, problems: list[ParseProblem]
) -> list[OccurrenceIn]:
    """A show page without a list of performances: its date (or dates) and start time."""
    date_text = _sidebar_text(tree, "sidebar_event_date")
    if date_text is None:
        return []
    time_text = _sidebar_text(tree, "sidebar_event_starts")
    try:
        start, end = read_span(date_text, None, context)
        if end is None and time_text:
            start, end = read_span(date_text, time_text, context)
    except DateProblem as exc:
        problems.append(ParseProblem(f"show skipped, its date cannot be read: {exc}", title))
        return []
    return [occurrence(start, end, context.timezone, keyed=True)]


def _parse_price(tree: BeautifulSoup) -> str | None:
    return _sidebar_text(tree, "sidebar_tickets_prices")


def _parse_location(tree: BeautifulSoup) -> str:
    return _sidebar_text(tree, "sidebar_event_venue") or HALL


def _parse_image(tree: BeautifulSoup, url: str) -> str | None:
    image = attribute(tree.select_one(".event_image img, .event_detail .thumb img"), "src")
    shared = attribute(tree.select_one("meta[property='og:image']"), "content")
    return absolute_url(url, image or shared)


def _parse_description(tree: BeautifulSoup) -> str | None:
    return inner_html(tree.select_one(".event_description, .description"))


def _sidebar_text(tree: BeautifulSoup, item: str) -> str | None:
    """The value of a sidebar entry (`<li class="item …"><h3>Label</h3><span>value</span>`)."""
    found = tree.select_one(f".eventDetailList .{item}")
    if not isinstance(found, Tag):
        return None
    values = [text_of(part) for part in found.find_all(["span", "p"], recursive=False)]
    return " ".join(value for value in values if value) or None
