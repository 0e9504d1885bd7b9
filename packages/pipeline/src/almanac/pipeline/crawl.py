"""Reading a web source: its listing pages, their next pages and the events' detail pages.

A page parser returns events and links. Next pages are read like the first,
one after the other; detail pages are fetched side by side, as many at once as
the host's limit allows, and the events found on them replace those of the
same identity found on the listings.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from urllib.parse import urldefrag

from almanac.core.domain import EventIn, Link, LinkKind, PageRole, ParseProblem, ParseResult
from almanac.core.errors import FetchError, ParseError
from almanac.pipeline.content_types import check_readable
from almanac.pipeline.fetch import FetchResult
from almanac.pipeline.polite_fetch import PoliteFetcher
from almanac.scrapers.context import ParseContext
from almanac.scrapers.registry import Parser

DEFAULT_MAX_PAGES = 10
DEFAULT_MAX_DETAILS = 300


def crawl(
    fetcher: PoliteFetcher,
    parse: Parser,
    first: FetchResult,
    context: ParseContext,
) -> ParseResult:
    """Everything a web source says, from its first listing page on.

    Returns the merged events, every problem met (a page that cannot be
    fetched or read costs only itself), and the feed links found.
    """
    config = context.config
    max_pages = int(config.get("max_pages", DEFAULT_MAX_PAGES))
    max_details = int(config.get("max_details", DEFAULT_MAX_DETAILS))
    result = ParseResult()
    events: dict[str, EventIn] = {}
    details: dict[str, None] = {}
    feeds: dict[str, None] = {}
    seen_pages = {_page_key(first.url)}
    page: FetchResult | None = first
    pages = 0
    while page is not None:
        pages += 1
        listing = _read(parse, page, context, result.problems)
        for event in listing.events:
            events.setdefault(event.external_id, event)
        next_page = None
        for link in listing.links:
            if link.kind is LinkKind.DETAIL:
                details.setdefault(link.url, None)
            elif link.kind is LinkKind.FEED:
                feeds.setdefault(link.url, None)
            elif link.kind is LinkKind.NEXT_PAGE and _page_key(link.url) not in seen_pages:
                next_page = next_page or link.url
        page = None
        if next_page is not None and pages < max_pages:
            seen_pages.add(_page_key(next_page))
            page = _fetch(fetcher, next_page, result.problems)
    if len(details) > max_details:
        result.problems.append(
            ParseProblem(f"only the first {max_details} of {len(details)} event pages were read")
        )
    detail_context = replace(context, page=PageRole.DETAIL)
    for found in _read_details(fetcher, parse, list(details)[:max_details], detail_context, result):
        for event in found.events:
            events[event.external_id] = event
    result.events = list(events.values())
    result.links = [Link(url, LinkKind.FEED) for url in feeds]
    return result


def _read_details(
    fetcher: PoliteFetcher,
    parse: Parser,
    urls: list[str],
    context: ParseContext,
    result: ParseResult,
) -> list[ParseResult]:
    if not urls:
        return []
    workers = max(1, min(fetcher.settings.host_max_concurrency, len(urls), 16))

    def read(url: str) -> ParseResult:
        problems: list[ParseProblem] = []
        page = _fetch(fetcher, url, problems)
        found = _read(parse, page, context, problems) if page is not None else ParseResult()
        found.problems = problems + found.problems
        return found

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="detail") as pool:
        found = list(pool.map(read, urls))
    for page_result in found:
        result.problems.extend(page_result.problems)
    return found


def _fetch(fetcher: PoliteFetcher, url: str, problems: list[ParseProblem]) -> FetchResult | None:
    try:
        return fetcher.get(url)
    except FetchError as exc:
        problems.append(ParseProblem(f"page skipped: {exc}", url))
        return None


def _read(
    parse: Parser, page: FetchResult, context: ParseContext, problems: list[ParseProblem]
) -> ParseResult:
    try:
        check_readable(page)
        found = parse(page.body, page.url, context)
    except ParseError as exc:
        problems.append(ParseProblem(f"page skipped: {exc}", page.url))
        return ParseResult()
    problems.extend(found.problems)
    return found


def _page_key(url: str) -> str:
    return urldefrag(url)[0].rstrip("/")
