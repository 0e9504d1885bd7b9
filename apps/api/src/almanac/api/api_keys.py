"""API keys: every request that changes something carries `Authorization: Bearer <key>`.

Keys come from `ALMANAC_API_KEYS` (comma-separated, so a key can be rotated
by adding the new one before removing the old). Reads are public unless
`ALMANAC_API_READS_REQUIRE_KEY` is true; the health checks stay public so
that orchestrators can probe the API.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from almanac.core.errors import ConfigError
from almanac.core.settings import Settings, get_settings

EXAMPLE_API_KEY = "change-me-api-key"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = ("/health",)

log = logging.getLogger("almanac.api")

bearer = HTTPBearer(auto_error=False, description="One of the keys in ALMANAC_API_KEYS.")


def check_api_keys(settings: Settings) -> None:
    """Refuse to start outside development and test without a key of the operator's own.

    In development a missing or example key is allowed, with a warning.
    """
    keys = settings.api_key_list
    problem = None
    if not keys:
        problem = "ALMANAC_API_KEYS is not set, so nothing can be changed through the API"
    elif EXAMPLE_API_KEY in keys:
        problem = f"ALMANAC_API_KEYS still holds the example key {EXAMPLE_API_KEY!r}"
    if problem is None:
        return
    if settings.env in ("development", "test"):
        log.warning("%s; set a key of your own before Almanac leaves development", problem)
        return
    raise ConfigError(
        f"The Almanac API cannot start: {problem}. Set ALMANAC_API_KEYS to one or more "
        "secret keys of your own, comma-separated (e.g. from `openssl rand -hex 32`)."
    )


def key_is_known(offered: str, keys: list[str]) -> bool:
    """Compare with every key in constant time, so timing tells nothing about a key."""
    known = False
    for key in keys:
        known |= hmac.compare_digest(offered.encode(), key.encode())
    return known


async def require_api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Raise 401 unless the request may go on: a read that needs no key, or a known key."""
    settings = get_settings()
    if request.method in READ_METHODS and (
        not settings.api_reads_require_key or request.url.path.startswith(PUBLIC_PATHS)
    ):
        return
    if credentials is None or credentials.scheme.lower() != "bearer":
        _refuse("this request needs an API key: send 'Authorization: Bearer <key>'")
    elif not key_is_known(credentials.credentials, settings.api_key_list):
        _refuse("the API key is not one Almanac knows")


def _refuse(message: str) -> None:
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"}
    )
