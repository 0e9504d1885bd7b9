"""A page's HTML as an lxml tree, and what its head says about its own address.

Building lxml's tree costs a fraction of a BeautifulSoup's; every page gets
one, and only a listing page whose links are chosen by a selector beyond
cssselect's reach gets a BeautifulSoup as well (`links`).
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html  # type: ignore[import-untyped]
from lxml.etree import ParserError  # type: ignore[import-untyped]

from almanac.scrapers.jsonld.urls import absolute

Element = Any
"""An element of lxml's HTML tree (lxml ships no types)."""

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def html_document(html: str) -> Element | None:
    """The root of the page's tree, or None when the page is empty."""
    try:
        # lxml refuses text that still declares a byte encoding.
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except ParserError:
        return None


def document_base(document: Element | None, url: str) -> str:
    """The URL the page's relative links resolve against: its `<base href>`, else `url`."""
    if document is not None:
        for base in document.iter("base"):
            href = base.get("href")
            if href is not None:
                return absolute(href, url) or url
    return url


def canonical_url(document: Element | None, base: str) -> str | None:
    """The page's own address as it states it: `<link rel="canonical">`, else `og:url`.

    The first of either, in document order, that is an http(s) URL.
    """
    if document is None:
        return None
    for element in document.iter("link", "meta"):
        if element.tag == "link":
            rel = (element.get("rel") or "").lower().split()
            href = element.get("href") if "canonical" in rel else None
        else:
            href = element.get("content") if element.get("property") == "og:url" else None
        url = absolute(href, base, keep_fragment=False) if href is not None else None
        if url:
            return url
    return None
