"""Mote's calendar: the month views' iCalendar exports, month after month."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from almanac.core.domain import Link, LinkKind, ParseResult
from almanac.scrapers.context import ParseContext
from almanac.scrapers.registry import parser_for
from almanac.scrapers.sites import mote

FIXTURES = Path(__file__).parent / "fixtures" / "mote"
NEW_YORK = ZoneInfo("America/New_York")
EVENTS = "https://mote.org/events/"


def _context(config: dict[str, Any] | None = None, end: datetime | None = None) -> ParseContext:
    return ParseContext(
        timezone=NEW_YORK,
        window_start=datetime(2026, 11, 20, tzinfo=NEW_YORK),
        window_end=end or datetime(2027, 11, 20, tzinfo=NEW_YORK),
        config=config or {},
    )


def _parse(name: str = "events-month.html", context: ParseContext | None = None) -> ParseResult:
    return mote.parse((FIXTURES / name).read_bytes(), EVENTS, context or _context())


def _links(kind: LinkKind, result: ParseResult) -> list[str]:
    return [link.url for link in result.links if link.kind is kind]


def test_the_months_export_is_the_only_feed() -> None:
    result = _parse()
    assert _links(LinkKind.FEED, result) == ["https://mote.org/events/month/2026-11/?ical=1"]
    assert result.events == []
    assert result.problems == []


def test_next_month_is_followed() -> None:
    assert _links(LinkKind.NEXT_PAGE, _parse()) == ["https://mote.org/events/month/2026-12/"]


def test_months_beyond_the_configured_number_are_not_followed() -> None:
    result = _parse(context=_context({"months": 1}))
    assert _links(LinkKind.NEXT_PAGE, result) == []
    assert _links(LinkKind.FEED, result) == ["https://mote.org/events/month/2026-11/?ical=1"]


def test_months_after_the_window_are_not_followed() -> None:
    result = _parse(context=_context(end=datetime(2026, 11, 30, tzinfo=NEW_YORK)))
    assert _links(LinkKind.NEXT_PAGE, result) == []


def test_list_view_leads_to_the_month_view() -> None:
    assert _parse("events-list.html").links == [
        Link("https://mote.org/events/month/", LinkKind.NEXT_PAGE)
    ]


def test_a_calendar_without_exports_is_a_problem() -> None:
    page = b'<div class="tribe-events-view--month"><p>No events this month.</p></div>'
    result = mote.parse(page, EVENTS, _context())
    assert result.links == []
    assert [p.reason for p in result.problems] == [
        "no iCalendar export link found on the calendar page"
    ]


def test_mote_sources_are_read_by_this_parser() -> None:
    assert parser_for("mote") is mote.parse
