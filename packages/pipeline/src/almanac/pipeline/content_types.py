"""Refusing bodies that cannot be a page or a feed, by their declared type."""

from __future__ import annotations

from almanac.core.errors import ParseError
from almanac.pipeline.fetch import FetchResult

_NEVER_READABLE = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")


def check_readable(result: FetchResult) -> None:
    """Raise `ParseError` when the server says the body is an image, a PDF, an archive…

    Text types are left to the parser, which knows what it expects: servers
    often send feeds as text/plain or application/octet-stream.
    """
    declared = (result.content_type or "").split(";", 1)[0].strip().lower()
    if declared.startswith(_NEVER_READABLE):
        raise ParseError(f"{result.url} is {declared}, not a page or a feed")
