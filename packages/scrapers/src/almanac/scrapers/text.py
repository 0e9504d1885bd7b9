"""Turning fetched bytes into text without losing characters."""

from __future__ import annotations

import codecs
import re

import nh3
from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_body(body: bytes, declared: str | None = None) -> str:
    """Decode `body`: a BOM wins, then UTF-8, then the declared charset, then detection."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return body.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    matches = list(from_bytes(body))
    if matches:
        # The least chaotic reading; among equals the most coherent, then Western European.
        best = min(matches, key=lambda m: (m.chaos, -m.coherence, m.encoding != "cp1252"))
        return str(best)
    return body.decode("cp1252", errors="replace")


_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
DESCRIPTION_TAGS = {
    "a", "b", "strong", "i", "em", "u", "p", "br", "ul", "ol", "li", "blockquote", "h3", "h4",
}  # fmt: skip


def clean_text(value: object) -> str | None:
    """A one-line text as people see it: trimmed, never empty."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def clean_description(value: object) -> str | None:
    """A description: plain text kept as written, HTML sanitized with nh3."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if _TAG.search(text):
        text = nh3.clean(text, tags=DESCRIPTION_TAGS, link_rel="noopener noreferrer nofollow")
    return text or None


def web_url(value: object) -> str | None:
    """An event's link or image as people may follow it: http(s) only, so that a
    `javascript:` or `data:` URL in a feed never reaches a page that shows the event."""
    text = clean_text(value)
    if text is None or not text.lower().startswith(("http://", "https://")):
        return None
    return text
