"""The Events Calendar's REST API, on pages shaped like a WordPress site's answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from almanac.core.domain import EventIn, EventStatus, Link, LinkKind, ParseResult
from almanac.core.errors import ParseError
from almanac.scrapers import tribe
from almanac.scrapers.context import ParseContext
from almanac.scrapers.registry import parser_for

FIXTURES = Path(__file__).parent / "fixtures" / "tribe"
NEW_YORK = ZoneInfo("America/New_York")
API = "https://sarasota-arts.example/wp-json/tribe/events/v1/events/?per_page=5"
CONTEXT = ParseContext(
    timezone=NEW_YORK,
    window_start=datetime(2026, 11, 20, tzinfo=NEW_YORK),
    window_end=datetime(2027, 11, 20, tzinfo=NEW_YORK),
)


def _parse(name: str, url: str = API, context: ParseContext = CONTEXT) -> ParseResult:
    return tribe.parse((FIXTURES / name).read_bytes(), url, context)


def _events(name: str = "events-page-1.json") -> dict[str, EventIn]:
    return {event.title: event for event in _parse(name).events}


def test_timed_event_starts_at_its_local_time() -> None:
    concert = _events()["Holiday Pops Concert & Sing-Along"]
    (show,) = concert.occurrences
    assert show.starts_at == datetime(2026, 12, 5, 19, 30, tzinfo=NEW_YORK)
    assert show.ends_at == datetime(2026, 12, 5, 21, 30, tzinfo=NEW_YORK)
    assert show.timezone == "America/New_York"
    assert not show.all_day


def test_event_keeps_its_url_venue_price_image_and_categories() -> None:
    concert = _events()["Holiday Pops Concert & Sing-Along"]
    assert concert.external_id == "https://sarasota-arts.example/event/holiday-pops-concert/"
    assert concert.url == concert.external_id
    assert concert.location_text == "Bayfront Pavilion, 5 Bayfront Dr, Sarasota, FL 34236"
    assert concert.price == "$25 – $40"
    assert concert.image_url == (
        "https://sarasota-arts.example/wp-content/uploads/2026/10/holiday-pops.jpg"
    )
    assert concert.categories == ("Music", "Family & Kids")


def test_description_is_sanitized() -> None:
    description = _events()["Holiday Pops Concert & Sing-Along"].description or ""
    assert "<strong>Sarasota Pops</strong>" in description
    assert "season’s" in description
    assert "<script>" not in description


def test_all_day_event_covers_its_days() -> None:
    (fair,) = _events()["Winter Craft Fair"].occurrences
    assert fair.all_day
    assert fair.starts_at == datetime(2026, 12, 12, tzinfo=NEW_YORK)
    assert fair.ends_at == datetime(2026, 12, 14, tzinfo=NEW_YORK)


def test_event_without_venue_or_image_has_none() -> None:
    fair = _events()["Winter Craft Fair"]
    assert fair.location_text is None
    assert fair.image_url is None
    assert fair.description == "Local makers, food trucks & live music."


def test_canceled_in_the_title_marks_the_event_cancelled() -> None:
    yoga = _events()["CANCELED: Sunset Yoga on the Lawn"]
    assert yoga.status is EventStatus.CANCELLED
    assert yoga.occurrences[0].status is EventStatus.CANCELLED


def test_event_before_the_window_is_dropped() -> None:
    assert "Fall Members’ Preview" not in _events()


def test_unreadable_date_is_a_problem_naming_the_event() -> None:
    result = _parse("events-page-1.json")
    assert [(p.item, p.reason) for p in result.problems] == [
        ("Artist Talk", "event skipped, its date cannot be read: 'TBD' is not a date")
    ]


def test_next_page_of_the_api_is_followed() -> None:
    assert _parse("events-page-1.json").links == [
        Link(
            "https://sarasota-arts.example/wp-json/tribe/events/v1/events/"
            "?page=2&per_page=5&start_date=2026-11-20&end_date=2027-11-20",
            LinkKind.NEXT_PAGE,
        )
    ]


def test_last_page_has_no_next_page_and_reads_entities() -> None:
    result = _parse("events-page-2.json")
    assert result.links == []
    (gala,) = result.events
    assert gala.title == "New Year’s Eve Gala"
    assert gala.occurrences[0].starts_at == datetime(2027, 1, 1, 2, tzinfo=UTC)


def test_site_root_leads_to_the_api_with_the_source_options() -> None:
    context = ParseContext(
        NEW_YORK, CONTEXT.window_start, CONTEXT.window_end, config={"per_page": 20}
    )
    result = _parse("site-root.html", "https://sarasota-arts.example/", context)
    assert result.events == []
    (link,) = result.links
    assert link.kind is LinkKind.NEXT_PAGE
    address = urlsplit(link.url)
    assert address.path == "/wp-json/tribe/events/v1/events"
    assert parse_qs(address.query) == {
        "per_page": ["20"],
        "start_date": ["2026-11-20"],
        "end_date": ["2027-11-20"],
    }


def test_json_that_is_not_the_events_api_fails_the_run() -> None:
    with pytest.raises(ParseError, match="not The Events Calendar's REST API"):
        tribe.parse(b'{"posts": []}', API, CONTEXT)


def test_web_page_where_the_api_should_be_fails_the_run() -> None:
    with pytest.raises(ParseError, match="answered with a web page"):
        tribe.parse(b"<html><body>Not Found</body></html>", API, CONTEXT)


def test_tribe_sources_are_read_by_this_parser() -> None:
    assert parser_for("tribe") is tribe.parse
