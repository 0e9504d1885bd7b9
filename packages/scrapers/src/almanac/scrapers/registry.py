"""Which parser reads which kind of source."""

from __future__ import annotations

from collections.abc import Callable

from almanac.core.domain import ParseResult, SourceKind
from almanac.core.errors import ParseError
from almanac.core.source_configs import check_config
from almanac.scrapers import ical
from almanac.scrapers.context import ParseContext
from almanac.scrapers.css import parse as parse_css
from almanac.scrapers.ical_links import parse as parse_ical_links
from almanac.scrapers.jsonld import parse as parse_jsonld
from almanac.scrapers.sites.mote import parse as parse_mote
from almanac.scrapers.sites.vanwezel import parse as parse_vanwezel
from almanac.scrapers.tribe import parse as parse_tribe

__all__ = ["PARSERS", "Parser", "check_config", "parser_for"]

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


def parser_for(kind: str) -> Parser:
    try:
        return PARSERS[SourceKind(kind)]
    except (KeyError, ValueError):
        supported = ", ".join(sorted(PARSERS))
        raise ParseError(
            f"this version of Almanac has no parser for sources of kind {kind!r} "
            f"(supported: {supported})"
        ) from None
