"""Text from pages as people read it: entities decoded, tags and scripts gone."""

from __future__ import annotations

import html
import re

import nh3

from almanac.scrapers.text import clean_description, clean_text

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


def plain_text(value: str | None) -> str | None:
    """One line of text: a title, a venue's name, a part of an address."""
    if value is None:
        return None
    decoded = html.unescape(value)
    if _TAG.search(decoded):
        decoded = html.unescape(nh3.clean(decoded, tags=set()))
    return clean_text(decoded)


def description(value: str | None) -> str | None:
    """A description, entities decoded first so that escaped markup is sanitized too."""
    if value is None:
        return None
    return clean_description(html.unescape(value))
