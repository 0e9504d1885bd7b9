"""Reading one field of an item: its text, an attribute, a URL, or its HTML."""

from __future__ import annotations

from bs4 import Tag

from almanac.core.css_config import Selector
from almanac.scrapers.markup import absolute_url, attribute, inner_html, text_of

_IMAGE_ATTRIBUTES = ("src", "data-src", "data-lazy-src", "srcset", "data-srcset", "content")


def element(item: Tag, selector: Selector) -> Tag | None:
    return item if selector.css is None else item.select_one(selector.css)


def text(item: Tag, selector: Selector | None) -> str | None:
    """The field's text; a `<time>`'s `datetime` when its text is what people read."""
    if selector is None:
        return None
    found = element(item, selector)
    if selector.attribute:
        return attribute(found, selector.attribute)
    return text_of(found)


def when(item: Tag, selector: Selector | None) -> str | None:
    """A date or time text; `<time datetime>` is exact where the visible text may not be."""
    if selector is None:
        return None
    found = element(item, selector)
    if not selector.attribute and found is not None and found.name == "time":
        return attribute(found, "datetime") or text_of(found)
    return text(item, selector)


def link(item: Tag, selector: Selector | None, base: str) -> str | None:
    if selector is None:
        return None
    found = element(item, selector)
    if found is None:
        return None
    if selector.attribute:
        return absolute_url(base, attribute(found, selector.attribute))
    anchor = found if found.has_attr("href") else found.find("a", href=True)
    return absolute_url(base, attribute(anchor, "href") if isinstance(anchor, Tag) else None)


def image(item: Tag, selector: Selector | None, base: str) -> str | None:
    if selector is None:
        return None
    found = element(item, selector)
    if found is None:
        return None
    if selector.attribute:
        return absolute_url(base, attribute(found, selector.attribute))
    picture = found if found.name in ("img", "meta", "source") else found.find("img")
    for name in _IMAGE_ATTRIBUTES:
        value = attribute(picture, name) if isinstance(picture, Tag) else None
        url = absolute_url(base, value.split(",")[0].split()[0]) if value else None
        if url is not None:  # a lazy-loading placeholder is a data: URL
            return url
    return None


def html(item: Tag, selector: Selector | None) -> str | None:
    if selector is None:
        return None
    if selector.attribute:
        return text(item, selector)
    return inner_html(element(item, selector))
