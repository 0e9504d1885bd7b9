"""Where a listing page leads: its events' detail pages and its next page.

Source options: `detail_links`, a CSS selector for the links to detail pages;
`detail_pattern`, a regular expression that the absolute URL of a detail page
matches; `next_page`, a CSS selector for the link to the next page (by default
`<link rel="next">` or `<a rel="next">`).

Selectors run on the page's lxml tree, through cssselect. A selector that
cssselect cannot read (`:not()` of a list, `:nth-child(… of …)`, soupsieve's
own `:-soup-contains()`…) runs on a BeautifulSoup of the page, through
soupsieve, which reads all of CSS level 4; building that tree and matching on
it costs ten times as much, so only such a selector pays for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from bs4 import BeautifulSoup, Tag
from cssselect import HTMLTranslator, SelectorError
from lxml.etree import XPath  # type: ignore[import-untyped]
from soupsieve import SelectorSyntaxError

from almanac.core.domain import Link, LinkKind
from almanac.core.errors import ParseError
from almanac.scrapers.jsonld.document import Element
from almanac.scrapers.jsonld.urls import absolute

NEXT_PAGE = 'link[rel~="next" i][href], a[rel~="next" i][href]'


class _Page:
    """A listing page's tree, and its BeautifulSoup should a selector need one."""

    def __init__(self, document: Element | None, html: str) -> None:
        self.document = document
        self.html = html
        self._soup: BeautifulSoup | None = None

    def soup(self) -> BeautifulSoup:
        if self._soup is None:
            self._soup = BeautifulSoup(self.html, "lxml")
        return self._soup


def find_links(
    document: Element | None, html: str, base: str, own_urls: set[str], config: dict[str, Any]
) -> list[Link]:
    """Absolute, distinct links, never to the page itself (`own_urls`)."""
    page = _Page(document, html)
    found: dict[str, Link] = {}
    detail_links, detail_pattern = config.get("detail_links"), config.get("detail_pattern")
    candidates: list[tuple[str, LinkKind]] = []
    if detail_links:
        hrefs = _select(page, "detail_links", detail_links)
        candidates.extend((url, LinkKind.DETAIL) for url in _absolute(hrefs, base))
    if detail_pattern:
        pattern = _pattern(detail_pattern)
        urls = _absolute(_anchors(page), base)
        candidates.extend((url, LinkKind.DETAIL) for url in urls if pattern.search(url))
    next_pages = _select(page, "next_page", config.get("next_page") or NEXT_PAGE)
    candidates.extend((url, LinkKind.NEXT_PAGE) for url in _absolute(next_pages, base))
    for url, kind in candidates:
        if url not in own_urls:
            found.setdefault(url, Link(url, kind))
    return list(found.values())


def _select(page: _Page, option: str, selector: object) -> list[str]:
    """The hrefs of what `selector` selects, in document order."""
    if not isinstance(selector, str):
        raise ParseError(f"the source option {option} must be a CSS selector, not {selector!r}")
    compiled = _lxml_selector(selector)
    if compiled is not None and page.document is not None:
        return list(_element_hrefs(compiled(page.document)))
    try:
        return list(_tag_hrefs(page.soup().select(selector)))
    except SelectorSyntaxError as exc:
        raise ParseError(
            f"the source option {option} is not a CSS selector: {selector!r} ({exc})"
        ) from None


@lru_cache(maxsize=256)
def _lxml_selector(selector: str) -> XPath | None:
    """`selector` compiled for lxml, or None if cssselect cannot read it."""
    try:
        return XPath(HTMLTranslator().css_to_xpath(selector))
    except SelectorError:
        return None


def _anchors(page: _Page) -> Iterator[str]:
    if page.document is None:
        return
    for anchor in page.document.iter("a"):
        href = anchor.get("href")
        if href is not None:
            yield href


def _pattern(pattern: object) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise ParseError("the source option detail_pattern must be a regular expression")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ParseError(
            f"the source option detail_pattern is not a regular expression: {pattern!r} ({exc})"
        ) from None


def _element_hrefs(elements: Iterable[Element]) -> Iterator[str]:
    """The `href` of each element, or of the links inside an element that has none."""
    for element in elements:
        href = element.get("href")
        if href is not None:
            yield href
            continue
        for inner in element.iterdescendants():
            inner_href = inner.get("href")
            if inner_href is not None:
                yield inner_href


def _tag_hrefs(elements: Iterable[Tag]) -> Iterator[str]:
    """As `_element_hrefs`, for BeautifulSoup's elements."""
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
