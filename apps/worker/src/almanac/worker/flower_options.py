"""Flower's options, taken from Almanac's settings (`flowerconfig.py` loads them).

Flower asks for a user and password (HTTP basic auth) whenever
`ALMANAC_FLOWER_PASSWORD` is set; outside development it refuses to start
without one, or with the example value left in place.
"""

from __future__ import annotations

from typing import Any

from almanac.core.errors import ConfigError
from almanac.core.settings import Settings

EXAMPLE_PASSWORD = "change-me"  # noqa: S105 - the value .env.example ships, refused in production


def flower_options(settings: Settings) -> dict[str, Any]:
    """The Flower options: basic auth from the settings, task events on."""
    password = settings.flower_password
    if settings.env == "production" and password in ("", EXAMPLE_PASSWORD):
        raise ConfigError(
            "Flower cannot start: set ALMANAC_FLOWER_PASSWORD to a password of your own "
            "(it is empty or the example value)"
        )
    options: dict[str, Any] = {"enable_events": True}
    if password:
        options["basic_auth"] = [f"{settings.flower_user}:{password}"]
    return options
