"""Reading HTML pages: the parsed tree, and the texts and URLs in it."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

from bs4 import BeautifulSoup, Tag

from almanac.scrapers.text import clean_text, decode_body

_NOT_PAGES = ("#", "javascript:", "mailto:", "tel:", "data:")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?])(?=\s|$)")


def html_tree(body: bytes) -> BeautifulSoup:
    return BeautifulSoup(decode_body(body), "lxml")


def attribute(tag: Tag | None, name: str) -> str | None:
    """An attribute's value as one string (class and rel are lists in bs4)."""
    if tag is None:
        return None
    value = tag.get(name)
    if value is None:
        return None
    text = value if isinstance(value, str) else " ".join(value)
    return text.strip() or None


def text_of(tag: Tag | None) -> str | None:
    """The text a reader sees in `tag`, on one line.

    Elements are joined with a space, which the punctuation that follows an
    element does not want ("Dec 12<span>, 2026</span>").
    """
    if tag is None:
        return None
    text = clean_text(tag.get_text(" "))
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text) if text else None


def inner_html(tag: Tag | None) -> str | None:
    if tag is None:
        return None
    return "".join(str(child) for child in tag.children).strip() or None


def absolute_url(base: str, href: str | None) -> str | None:
    """`href` resolved against `base`, without its fragment; None for in-page and script links."""
    if href is None:
        return None
    href = href.strip()
    if not href or href.lower().startswith(_NOT_PAGES):
        return None
    url, _ = urldefrag(urljoin(base, href))
    return url or None
