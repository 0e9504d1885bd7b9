"""Van Wezel: listing pages lead to the shows' pages, which list their performances."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from almanac.core.domain import EventIn, EventStatus, LinkKind, PageRole, ParseResult
from almanac.scrapers.context import ParseContext
from almanac.scrapers.registry import parser_for
from almanac.scrapers.sites import vanwezel

FIXTURES = Path(__file__).parent / "fixtures" / "vanwezel"
NEW_YORK = ZoneInfo("America/New_York")
SITE = "https://www.vanwezel.org"
LISTING = ParseContext(
    timezone=NEW_YORK,
    window_start=datetime(2026, 11, 20, tzinfo=NEW_YORK),
    window_end=datetime(2027, 11, 20, tzinfo=NEW_YORK),
)
DETAIL = replace(LISTING, page=PageRole.DETAIL)


def _listing(name: str = "events.html", url: str = f"{SITE}/events") -> ParseResult:
    return vanwezel.parse((FIXTURES / name).read_bytes(), url, LISTING)


def _show_page(slug: str, context: ParseContext = DETAIL) -> ParseResult:
    body = (FIXTURES / f"{slug}.html").read_bytes()
    return vanwezel.parse(body, f"{SITE}/events/detail/{slug}", context)


def _show(slug: str, context: ParseContext = DETAIL) -> EventIn:
    (show,) = _show_page(slug, context).events
    return show


def _links(result: ParseResult, kind: LinkKind) -> list[str]:
    return [link.url for link in result.links if link.kind is kind]


def test_listing_links_each_shows_page_once() -> None:
    assert _links(_listing(), LinkKind.DETAIL) == [
        f"{SITE}/events/detail/mamma-mia-2027",
        f"{SITE}/events/detail/sarasota-orchestra-holiday-pops",
        f"{SITE}/events/detail/an-evening-with-rita-cole",
    ]


def test_listing_links_its_next_page() -> None:
    assert _links(_listing(), LinkKind.NEXT_PAGE) == [f"{SITE}/events?page=2"]


def test_last_listing_page_has_no_next_page() -> None:
    result = _listing("events-page-2.html", f"{SITE}/events?page=2")
    assert _links(result, LinkKind.NEXT_PAGE) == []
    assert _links(result, LinkKind.DETAIL) == [f"{SITE}/events/detail/spring-dance-showcase"]


def test_listing_leaves_the_events_to_the_shows_pages() -> None:
    result = _listing()
    assert result.events == []
    assert result.problems == []


def test_each_performance_is_an_occurrence_in_local_time() -> None:
    starts = [o.starts_at for o in _show("mamma-mia-2027").occurrences]
    assert starts == [
        datetime(2027, 1, 12, 19, 30, tzinfo=NEW_YORK),
        datetime(2027, 1, 13, 19, 30, tzinfo=NEW_YORK),
        datetime(2027, 1, 14, 14, 0, tzinfo=NEW_YORK),
        datetime(2027, 1, 14, 19, 30, tzinfo=NEW_YORK),
    ]


def test_each_performance_has_its_own_recurrence_key() -> None:
    keys = [o.recurrence_key for o in _show("mamma-mia-2027").occurrences]
    assert keys == [
        "2027-01-13T00:30:00Z",
        "2027-01-14T00:30:00Z",
        "2027-01-14T19:00:00Z",
        "2027-01-15T00:30:00Z",
    ]


def test_a_cancelled_performance_is_cancelled_alone() -> None:
    show = _show("mamma-mia-2027")
    assert show.status is EventStatus.SCHEDULED
    assert [o.status for o in show.occurrences] == [
        EventStatus.SCHEDULED,
        EventStatus.SCHEDULED,
        EventStatus.CANCELLED,
        EventStatus.SCHEDULED,
    ]


def test_show_keeps_its_url_price_image_venue_and_description() -> None:
    show = _show("mamma-mia-2027")
    assert show.external_id == f"{SITE}/events/detail/mamma-mia-2027"
    assert show.title == "Mamma Mia!"
    assert show.price == "$59 – $149* *Plus applicable fees"
    assert show.image_url == f"{SITE}/assets/img/MammaMia_960x540-5b0d8e2f61.jpg"
    assert show.location_text == "Van Wezel Performing Arts Hall"
    assert "<strong>MAMMA MIA!</strong>" in (show.description or "")
    assert "dataLayer" not in (show.description or "")


def test_performances_before_the_window_are_dropped() -> None:
    later = replace(DETAIL, window_start=datetime(2027, 1, 14, tzinfo=NEW_YORK))
    starts = [o.starts_at.date().isoformat() for o in _show("mamma-mia-2027", later).occurrences]
    assert starts == ["2027-01-14", "2027-01-14"]


def test_show_with_a_date_and_a_start_time_is_one_performance() -> None:
    pops = _show("sarasota-orchestra-holiday-pops")
    (concert,) = pops.occurrences
    assert concert.starts_at == datetime(2026, 12, 12, 19, 30, tzinfo=NEW_YORK)
    assert pops.location_text == vanwezel.HALL
    assert pops.image_url == f"{SITE}/assets/img/HolidayPops_1200x630-41d0c9aa13.jpg"
    assert pops.price == "$35 – $95"


def test_cancelled_show_is_kept_and_marked() -> None:
    show = _show("an-evening-with-rita-cole")
    assert show.status is EventStatus.CANCELLED
    assert show.occurrences[0].status is EventStatus.CANCELLED
    assert show.occurrences[0].starts_at == datetime(2027, 2, 3, 20, tzinfo=NEW_YORK)


def test_show_without_a_readable_date_is_a_problem_naming_it() -> None:
    result = _show_page("spring-dance-showcase")
    assert result.events == []
    assert [(p.item, p.reason) for p in result.problems] == [
        (
            "Spring Dance Showcase",
            "show skipped, its date cannot be read: 'Date TBA' is not a date",
        )
    ]


def test_a_page_without_a_show_is_a_problem() -> None:
    url = f"{SITE}/events/detail/gone"
    result = vanwezel.parse(b"<html><body><p>Page not found</p></body></html>", url, DETAIL)
    assert [(p.item, p.reason) for p in result.problems] == [(url, "no show found on the page")]


def test_vanwezel_sources_are_read_by_this_parser() -> None:
    assert parser_for("vanwezel") is vanwezel.parse
