"""Every kind of source has its parser."""

from __future__ import annotations

import pytest

from almanac.core.domain import SourceKind
from almanac.core.errors import ParseError
from almanac.scrapers.registry import parser_for


@pytest.mark.parametrize("kind", list(SourceKind))
def test_every_kind_has_a_parser(kind: SourceKind) -> None:
    assert callable(parser_for(kind))


def test_an_unknown_kind_is_named() -> None:
    with pytest.raises(ParseError, match="no parser for sources of kind 'gopher'"):
        parser_for("gopher")
