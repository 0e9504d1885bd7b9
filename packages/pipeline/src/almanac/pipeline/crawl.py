"""Reading a web source: its listing pages, their next pages and the events' detail pages.

A page parser returns events and links. Every page is fetched and read by a
small set of threads, as many as the host's limit allows, each taking the
next page to read as it finishes one: the next listing page and the detail
pages already found go side by side, so the crawl keeps the host's allowance
busy, and no thread waits on another to be handed its work. Events found on
a detail page replace those of the same identity found on the listings.
"""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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


class _Pages:
    """The pages still to read, taken by the crawl's threads until none is left and none
    is being read (a page being read may still lead to more)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting: deque[tuple[str, ParseContext]] = deque()
        self._reading = 0
        self.failure: BaseException | None = None

    def add(self, url: str, context: ParseContext) -> None:
        with self._changed:
            self._waiting.append((url, context))
            self._changed.notify()

    def take(
        self, before_waiting: Callable[[], None] | None = None
    ) -> tuple[str, ParseContext] | None:
        """The next page to read, or None once the crawl is over; `before_waiting` is
        called once (outside the lock) if none is ready yet."""
        with self._changed:
            while not self._waiting and self._reading and self.failure is None:
                if before_waiting is not None:
                    call, before_waiting = before_waiting, None
                    self._changed.release()
                    try:
                        call()
                    finally:
                        self._changed.acquire()
                    continue
                self._changed.wait()
            if not self._waiting or self.failure is not None:
                self._changed.notify_all()
                return None
            self._reading += 1
            return self._waiting.popleft()

    def read(self, failure: BaseException | None = None) -> None:
        """One page taken has been read (or its reading failed, which ends the crawl)."""
        with self._changed:
            self._reading -= 1
            if failure is not None:
                self.stop(failure)
            elif not self._reading and not self._waiting:
                self._changed.notify_all()

    def stop(self, failure: BaseException) -> None:
        """No page is taken after this: the pages being read are finished, and `failure`
        ends the crawl."""
        with self._changed:
            if self.failure is None:
                self.failure = failure
            self._changed.notify_all()


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
    found_lock = threading.Lock()
    pages = _Pages()

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
                pages.add(link.url, detail_context)
        for link in found.links:
            key = _page_key(link.url)
            if link.kind is LinkKind.NEXT_PAGE and key not in state.pages:
                if len(state.pages) < max_pages:
                    state.pages.add(key)
                    pages.add(link.url, context)
                break

    def take(found: ParseResult, page_context: ParseContext) -> None:
        with found_lock:
            state.problems.extend(found.problems)
            if page_context.page is PageRole.LISTING:
                take_listing(found)
            else:
                for event in found.events:
                    state.detail_events[event.external_id] = event

    def read_pages() -> None:
        # A thread keeps its slot on the host from one page to the next, and gives it
        # back while it waits for pages to be found.
        with fetcher.keeping_slots() as keeper:
            while (page := pages.take(before_waiting=keeper.release)) is not None:
                url, page_context = page
                try:
                    take(_fetch_and_read(fetcher, parse, url, page_context), page_context)
                except BaseException as exc:  # raised again by the crawl, once all threads end
                    pages.read(exc)
                    return
                pages.read()

    problems: list[ParseProblem] = []
    first_found = _read(parse, first, context, problems)
    first_found.problems = problems + first_found.problems
    take(first_found, context)
    # Each thread runs in a copy of this one's context: its log lines name the same
    # task, source and request.
    threads = [
        threading.Thread(
            target=contextvars.copy_context().run, args=(read_pages,), name=f"crawl-{n}"
        )
        for n in range(max(1, min(fetcher.settings.host_max_concurrency, MAX_THREADS)) - 1)
    ]
    for thread in threads:
        thread.start()
    try:
        read_pages()  # this thread reads pages too
    except BaseException as exc:  # a time limit, raised while it waited for a page
        pages.stop(exc)
        raise
    finally:
        for thread in threads:
            thread.join()
    if pages.failure is not None:
        raise pages.failure
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
