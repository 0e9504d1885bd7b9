"""What each kind of source accepts in its `config`, checked wherever a source is saved."""

from __future__ import annotations

from collections.abc import Callable

from almanac.core.css_config import validate_config as validate_css_config
from almanac.core.domain import SourceKind

ConfigCheck = Callable[[object], None]

CONFIG_CHECKS: dict[SourceKind, ConfigCheck] = {
    SourceKind.CSS: validate_css_config,
}


def check_config(kind: str, config: object) -> None:
    """Raise `ValueError` naming what is wrong in a source's config for its kind."""
    if not isinstance(config, dict):
        raise ValueError("config must be a mapping")
    check = CONFIG_CHECKS.get(SourceKind(kind))
    if check is not None:
        check(config)
