"""Feeds found on a page that links to its calendars."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from almanac.core.domain import LinkKind, ParseResult
from almanac.scrapers import ical_links
from almanac.scrapers.context import ParseContext
from almanac.scrapers.registry import parser_for

PAGE = Path(__file__).parent / "fixtures" / "ical_links" / "calendars.html"
NEW_YORK = ZoneInfo("America/New_York")
CONTEXT = ParseContext(
    timezone=NEW_YORK,
    window_start=datetime(2026, 11, 20, tzinfo=NEW_YORK),
    window_end=datetime(2027, 11, 20, tzinfo=NEW_YORK),
)


def _parse() -> ParseResult:
    return ical_links.parse(PAGE.read_bytes(), "https://bayfrontnature.example/calendars/", CONTEXT)


def _feeds() -> list[str]:
    return [link.url for link in _parse().links]


def test_every_feed_is_found_once_and_absolute() -> None:
    assert _feeds() == [
        "https://bayfrontnature.example/events/?ical=1",
        "https://bayfrontnature.example/calendars/bird-walks.ics",
        "webcal://bayfrontnature.example/calendars/lectures.ics",
        "https://calendar.google.com/calendar/ical/bfns.volunteers%40gmail.com/public/basic.ics",
        "https://bayfrontnature.example/events/category/kids/list/?ical=1&tribe_display=list",
    ]


def test_links_are_feeds_and_there_are_no_events() -> None:
    result = _parse()
    assert {link.kind for link in result.links} == {LinkKind.FEED}
    assert result.events == []
    assert result.problems == []


def test_webcal_link_is_kept_as_written() -> None:
    assert "webcal://bayfrontnature.example/calendars/lectures.ics" in _feeds()


def test_the_same_feed_linked_as_webcal_and_https_is_listed_once() -> None:
    feeds = _feeds()
    assert "webcal://bayfrontnature.example/events/?ical=1" not in feeds
    assert feeds.count("https://bayfrontnature.example/events/?ical=1") == 1


def test_add_to_calendar_buttons_and_documents_are_not_feeds() -> None:
    feeds = " ".join(_feeds())
    assert "google.com/calendar/render" not in feeds
    assert "outlook-ical" not in feeds
    assert ".pdf" not in feeds


def test_ical_links_sources_are_read_by_this_parser() -> None:
    assert parser_for("ical_links") is ical_links.parse
