"""Which parser reads which kind of source."""

from __future__ import annotations

from collections.abc import Callable

from almanac.core.domain import ParseResult, SourceKind
from almanac.core.errors import ParseError
from almanac.scrapers import ical
from almanac.scrapers.context import ParseContext
from almanac.scrapers.css import parse as parse_css
from almanac.scrapers.css.config import validate_config as validate_css_config
from almanac.scrapers.ical_links import parse as parse_ical_links
from almanac.scrapers.jsonld import parse as parse_jsonld
from almanac.scrapers.sites.mote import parse as parse_mote
from almanac.scrapers.sites.vanwezel import parse as parse_vanwezel
from almanac.scrapers.tribe import parse as parse_tribe

Parser = Callable[[bytes, str, ParseContext], ParseResult]

PARSERS: dict[SourceKind, Parser] = {
    SourceKind.ICAL: ical.parse,
    SourceKind.JSONLD: parse_jsonld,
    SourceKind.TRIBE: parse_tribe,
    SourceKind.CSS: parse_css,
    SourceKind.ICAL_LINKS: parse_ical_links,
    SourceKind.MOTE: parse_mote,
    SourceKind.VANWEZEL: parse_vanwezel,
}


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


def parser_for(kind: str) -> Parser:
    try:
        return PARSERS[SourceKind(kind)]
    except (KeyError, ValueError):
        supported = ", ".join(sorted(PARSERS))
        raise ParseError(
            f"this version of Almanac has no parser for sources of kind {kind!r} "
            f"(supported: {supported})"
        ) from None
