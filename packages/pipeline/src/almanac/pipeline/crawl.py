"""Reading a web source: its listing pages, their next pages and the events' detail pages.

A page parser returns events and links. Every page is fetched and read in a
small pool of threads, as many at once as the host's limit allows: the next
listing page and the detail pages already found go side by side, so the
crawl keeps the host's allowance busy. Events found on a detail page replace
those of the same identity found on the listings.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from queue import SimpleQueue
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
MAX_THREADS = 16


@dataclass(slots=True)
class _Crawl:
    """What the crawl has found so far."""

    listing_events: dict[str, EventIn] = field(default_factory=dict)
    detail_events: dict[str, EventIn] = field(default_factory=dict)
    problems: list[ParseProblem] = field(default_factory=list)
    feeds: dict[str, None] = field(default_factory=dict)
    details: dict[str, None] = field(default_factory=dict)
    pages: set[str] = field(default_factory=set)
    skipped_details: int = 0


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
    max_pages = int(context.config.get("max_pages", DEFAULT_MAX_PAGES))
    max_details = int(context.config.get("max_details", DEFAULT_MAX_DETAILS))
    detail_context = replace(context, page=PageRole.DETAIL)
    state = _Crawl(pages={_page_key(first.url)})
    threads = max(1, min(fetcher.settings.host_max_concurrency, MAX_THREADS))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="crawl") as pool:
        pending: dict[Future[ParseResult], PageRole] = {}
        finished: SimpleQueue[Future[ParseResult]] = SimpleQueue()

        def submit(url: str, page_context: ParseContext) -> None:
            future = pool.submit(_fetch_and_read, fetcher, parse, url, page_context)
            pending[future] = page_context.page
            future.add_done_callback(finished.put)

        def take_listing(found: ParseResult) -> None:
            for event in found.events:
                state.listing_events.setdefault(event.external_id, event)
            for link in found.links:
                if link.kind is LinkKind.FEED:
                    state.feeds.setdefault(link.url, None)
                elif link.kind is LinkKind.DETAIL and link.url not in state.details:
                    if len(state.details) >= max_details:
                        state.skipped_details += 1
                        continue
                    state.details[link.url] = None
                    submit(link.url, detail_context)
            for link in found.links:
                key = _page_key(link.url)
                if link.kind is LinkKind.NEXT_PAGE and key not in state.pages:
                    if len(state.pages) < max_pages:
                        state.pages.add(key)
                        submit(link.url, context)
                    break

        first_found = _read(parse, first, context, state.problems)
        state.problems.extend(first_found.problems)
        take_listing(first_found)
        while pending:
            future = finished.get()
            role = pending.pop(future)
            found = future.result()
            state.problems.extend(found.problems)
            if role is PageRole.LISTING:
                take_listing(found)
            else:
                for event in found.events:
                    state.detail_events[event.external_id] = event
    if state.skipped_details:
        total = len(state.details) + state.skipped_details
        state.problems.append(
            ParseProblem(f"only the first {max_details} of {total} event pages were read")
        )
    events = state.listing_events | state.detail_events
    return ParseResult(
        events=list(events.values()),
        problems=state.problems,
        links=[Link(url, LinkKind.FEED) for url in state.feeds],
    )


def _fetch_and_read(
    fetcher: PoliteFetcher, parse: Parser, url: str, context: ParseContext
) -> ParseResult:
    """One page, fetched and read; its failure becomes a problem of the result."""
    problems: list[ParseProblem] = []
    try:
        page = fetcher.get(url)
    except FetchError as exc:
        return ParseResult(problems=[ParseProblem(f"page skipped: {exc}", url)])
    found = _read(parse, page, context, problems)
    found.problems = problems + found.problems
    return found


def _read(
    parse: Parser, page: FetchResult, context: ParseContext, problems: list[ParseProblem]
) -> ParseResult:
    try:
        check_readable(page)
        found = parse(page.body, page.url, context)
    except ParseError as exc:
        problems.append(ParseProblem(f"page skipped: {exc}", page.url))
        return ParseResult()
    return found


def _page_key(url: str) -> str:
    return urldefrag(url)[0].rstrip("/")
