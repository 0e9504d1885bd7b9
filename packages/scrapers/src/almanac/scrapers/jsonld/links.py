"""Where a listing page leads: its events' detail pages and its next page.

Source options: `detail_links`, a CSS selector for the links to detail pages;
`detail_pattern`, a regular expression that the absolute URL of a detail page
matches; `next_page`, a CSS selector for the link to the next page (by default
`<link rel="next">` or `<a rel="next">`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from bs4 import BeautifulSoup, Tag
from soupsieve import SelectorSyntaxError

from almanac.core.domain import Link, LinkKind
from almanac.core.errors import ParseError
from almanac.scrapers.jsonld.urls import absolute

NEXT_PAGE = 'link[rel~="next" i][href], a[rel~="next" i][href]'


def find_links(
    soup: BeautifulSoup, base: str, own_urls: set[str], config: dict[str, Any]
) -> list[Link]:
    """Absolute, distinct links, never to the page itself (`own_urls`)."""
    found: dict[str, Link] = {}
    detail_links, detail_pattern = config.get("detail_links"), config.get("detail_pattern")
    candidates: list[tuple[str, LinkKind]] = []
    if detail_links:
        hrefs = _hrefs(_select(soup, "detail_links", detail_links))
        candidates.extend((url, LinkKind.DETAIL) for url in _absolute(hrefs, base))
    if detail_pattern:
        pattern = _pattern(detail_pattern)
        urls = _absolute(_hrefs(soup.find_all("a", href=True)), base)
        candidates.extend((url, LinkKind.DETAIL) for url in urls if pattern.search(url))
    next_pages = _select(soup, "next_page", config.get("next_page") or NEXT_PAGE)
    candidates.extend((url, LinkKind.NEXT_PAGE) for url in _absolute(_hrefs(next_pages), base))
    for url, kind in candidates:
        if url not in own_urls:
            found.setdefault(url, Link(url, kind))
    return list(found.values())


def _select(soup: BeautifulSoup, option: str, selector: object) -> list[Tag]:
    if not isinstance(selector, str):
        raise ParseError(f"the source option {option} must be a CSS selector, not {selector!r}")
    try:
        return list(soup.select(selector))
    except SelectorSyntaxError as exc:
        raise ParseError(
            f"the source option {option} is not a CSS selector: {selector!r} ({exc})"
        ) from None


def _pattern(pattern: object) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise ParseError("the source option detail_pattern must be a regular expression")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ParseError(
            f"the source option detail_pattern is not a regular expression: {pattern!r} ({exc})"
        ) from None


def _hrefs(elements: Iterable[Tag]) -> Iterator[str]:
    """The `href` of each element, or of the links inside an element that has none."""
    for element in elements:
        href = element.get("href")
        if isinstance(href, str):
            yield href
            continue
        for inner in element.find_all(href=True):
            inner_href = inner.get("href") if isinstance(inner, Tag) else None
            if isinstance(inner_href, str):
                yield inner_href


def _absolute(hrefs: Iterable[str], base: str) -> Iterator[str]:
    for href in hrefs:
        url = absolute(href, base, keep_fragment=False)
        if url is not None:
            yield url
