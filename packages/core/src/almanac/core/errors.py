"""The exception tree: every error Almanac raises on purpose is an `AlmanacError`.

AlmanacError
├── ConfigError          settings missing or wrong; the process cannot start
├── SourceNotFound       no source with that slug or id
├── FetchError           the network or the remote server failed us
│   ├── FetchTimeout
│   ├── HTTPStatusError  a status we cannot use (4xx, 5xx)
│   └── ResponseTooLarge
└── ParseError           the body is not what the source's kind expects
"""

from __future__ import annotations


class AlmanacError(Exception):
    """Base of every error Almanac raises on purpose."""


class ConfigError(AlmanacError):
    """The configuration is missing or wrong."""


class SourceNotFound(AlmanacError):
    """No source matches the slug or id asked for."""


class SourceExists(AlmanacError):
    """A new source was given a slug another source already has."""


class VenueNotFound(AlmanacError):
    """No venue has the slug asked for."""


class FetchError(AlmanacError):
    """Fetching a URL failed; `transient` says whether retrying may help."""

    transient: bool = True

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class FetchTimeout(FetchError):
    """The server did not answer, or not completely, in time."""


class HTTPStatusError(FetchError):
    """The server answered with a status we cannot use."""

    def __init__(
        self, message: str, url: str | None, status_code: int, retry_after: str | None = None
    ) -> None:
        super().__init__(message, url)
        self.status_code = status_code
        self.retry_after = retry_after
        self.transient = status_code >= 500 or status_code == 429


class ResponseTooLarge(FetchError):
    """The body was larger than the configured cap."""

    transient = False


class FetchRefused(FetchError):
    """Almanac will not fetch this URL: robots.txt forbids it, or it is private."""

    transient = False


class ParseError(AlmanacError):
    """The body cannot be read as what the source's kind expects."""


class ScrapeFailed(AlmanacError):
    """A scrape task's run failed; its reason is the message (the run has it too)."""
