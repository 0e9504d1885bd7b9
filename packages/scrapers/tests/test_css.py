"""The css adapter on a plain HTML calendar and one of its show pages."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from almanac.core.domain import EventIn, EventStatus, Link, LinkKind, PageRole, ParseResult
from almanac.core.errors import ParseError
from almanac.scrapers import css
from almanac.scrapers.context import ParseContext
from almanac.scrapers.ical import SINGLE
from almanac.scrapers.registry import parser_for

FIXTURES = Path(__file__).parent / "fixtures" / "css"
NEW_YORK = ZoneInfo("America/New_York")
CALENDAR = "https://baysidetheatre.example/calendar/"
CONFIG: dict[str, Any] = {
    "item": "article.event-card",
    "title": ".event-card__title",
    "date": ".event-card__date",
    "time": ".event-card__time",
    "link": ".event-card__title a",
    "image": ".event-card__image img",
    "location": ".event-card__venue",
    "price": ".event-card__price",
    "description": ".event-card__summary",
    "status": ".event-card__badge",
    "next_page": ".pager__next@href",
}
DETAIL = {
    "date": ".show__date",
    "time": ".show__time",
    "location": ".show__venue",
    "price": ".show__price",
    "description": ".show__body",
}


def _context(config: dict[str, Any], page: PageRole = PageRole.LISTING) -> ParseContext:
    return ParseContext(
        timezone=NEW_YORK,
        window_start=datetime(2026, 11, 20, tzinfo=NEW_YORK),
        window_end=datetime(2027, 11, 20, tzinfo=NEW_YORK),
        config=config,
        page=page,
    )


def _parse(config: dict[str, Any] = CONFIG, name: str = "calendar.html") -> ParseResult:
    return css.parse((FIXTURES / name).read_bytes(), CALENDAR, _context(config))


def _events(config: dict[str, Any] = CONFIG) -> dict[str, EventIn]:
    return {event.title: event for event in _parse(config).events}


def test_items_become_events_starting_in_the_source_zone() -> None:
    (matinee,) = _events()["The Nutcracker"].occurrences
    assert matinee.starts_at == datetime(2026, 12, 12, 14, tzinfo=NEW_YORK)
    assert matinee.ends_at == datetime(2026, 12, 12, 16, tzinfo=NEW_YORK)
    assert matinee.timezone == "America/New_York"
    assert matinee.recurrence_key == SINGLE


def test_links_and_images_are_absolute_and_the_link_is_the_id() -> None:
    nutcracker = _events()["The Nutcracker"]
    assert nutcracker.external_id == "https://baysidetheatre.example/shows/the-nutcracker/"
    assert nutcracker.url == nutcracker.external_id
    assert (
        nutcracker.image_url == "https://baysidetheatre.example/media/shows/nutcracker-600x400.jpg"
    )


def test_lazy_image_is_read_from_data_src() -> None:
    orient = _events()["Murder on the Orient Express"]
    assert orient.image_url == (
        "https://baysidetheatre.example/media/shows/orient-express-600x400.jpg"
    )


def test_texts_are_kept_and_the_description_sanitized() -> None:
    nutcracker = _events()["The Nutcracker"]
    assert nutcracker.location_text == "Main Stage"
    assert nutcracker.price == "$35 adults / $20 students"
    assert nutcracker.description == (
        "<p>The holiday <em>classic</em>, danced by our youth company.</p>"
    )


def test_date_without_a_year_is_the_coming_one() -> None:
    (show,) = _events()["Murder on the Orient Express"].occurrences
    assert show.starts_at == datetime(2027, 1, 9, 19, 30, tzinfo=NEW_YORK)


def test_date_without_a_time_is_all_day() -> None:
    (storytime,) = _events()["Storytime in the Garden"].occurrences
    assert storytime.all_day
    assert storytime.starts_at == datetime(2026, 12, 19, tzinfo=NEW_YORK)
    assert storytime.ends_at == datetime(2026, 12, 20, tzinfo=NEW_YORK)


def test_item_without_a_link_has_an_id_that_survives_reordering() -> None:
    first = _events()["Storytime in the Garden"].external_id
    page = (FIXTURES / "calendar.html").read_text()
    cards = page.split('<article class="event-card">')
    shuffled = cards[0] + '<article class="event-card">'.join(["", *reversed(cards[1:])])
    result = css.parse(shuffled.encode(), CALENDAR, _context(CONFIG))
    again = {event.title: event for event in result.events}["Storytime in the Garden"]
    assert first.startswith("almanac-")
    assert again.external_id == first


def test_cancelled_badge_marks_the_event_cancelled() -> None:
    brunch = _events()["Jazz Brunch"]
    assert brunch.status is EventStatus.CANCELLED
    assert brunch.occurrences[0].starts_at == datetime(2026, 12, 20, 11, tzinfo=NEW_YORK)


def test_event_before_the_window_is_dropped() -> None:
    assert "Fall Auditions" not in _events()


def test_unreadable_date_is_a_problem_naming_the_item() -> None:
    assert [(p.item, p.reason) for p in _parse().problems] == [
        ("Spring Gala", "event skipped, its date cannot be read: 'Date TBA' is not a date")
    ]


def test_next_page_is_followed() -> None:
    assert _parse().links == [
        Link("https://baysidetheatre.example/calendar/?page=2", LinkKind.NEXT_PAGE)
    ]


def test_date_format_reads_dates_the_general_reading_cannot() -> None:
    page = b"""<ul><li class="gig"><b>Quartet</b> <i>12.05.2026 19:30</i></li></ul>"""
    config = {"item": "li.gig", "title": "b", "date": "i", "date_format": "%m.%d.%Y %H:%M"}
    (quartet,) = css.parse(page, CALENDAR, _context(config)).events
    assert quartet.occurrences[0].starts_at == datetime(2026, 12, 5, 19, 30, tzinfo=NEW_YORK)


def test_with_detail_the_items_links_become_detail_links() -> None:
    result = _parse({**CONFIG, "detail": DETAIL})
    detail_links = [link.url for link in result.links if link.kind is LinkKind.DETAIL]
    assert detail_links == [
        "https://baysidetheatre.example/shows/the-nutcracker/",
        "https://baysidetheatre.example/shows/murder-on-the-orient-express/",
        "https://baysidetheatre.example/shows/jazz-brunch/",
        "https://baysidetheatre.example/shows/spring-gala/",
        "https://baysidetheatre.example/shows/fall-auditions/",
    ]
    assert result.problems == []  # Spring Gala's page may say when it is


def test_detail_page_completes_the_event() -> None:
    body = (FIXTURES / "the-nutcracker.html").read_bytes()
    url = "https://baysidetheatre.example/shows/the-nutcracker/"
    context = _context({**CONFIG, "detail": DETAIL}, PageRole.DETAIL)
    (nutcracker,) = css.parse(body, url, context).events
    assert nutcracker.external_id == url
    assert nutcracker.title == "The Nutcracker"
    assert nutcracker.location_text == "Main Stage, Bayside Community Theatre"
    assert nutcracker.image_url == (
        "https://baysidetheatre.example/media/shows/nutcracker-1200x630.jpg"
    )
    assert "<strong>youth company</strong>" in (nutcracker.description or "")
    assert "iframe" not in (nutcracker.description or "")
    assert nutcracker.occurrences[0].starts_at.date() == date(2026, 12, 12)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"title": "h3", "date": ".when"}, "'item' is missing"),
        ({"item": "li", "date": ".when"}, "'title' is missing"),
        ({"item": "li", "title": "h3"}, "'date' is missing"),
        ({"item": "li", "title": "h3", "date": ".when", "dates": "x"}, "unknown key dates"),
        ({"item": "li[", "title": "h3", "date": ".when"}, "'item' is not a CSS selector"),
        ({"item": "li", "title": "h3", "detail": {"title": "h1"}}, "'detail.date' is missing"),
        ({"item": "li", "title": "h3", "date": "p", "date_format": "dd/mm"}, "date_format"),
        ({"item": "li@id", "title": "h3", "date": "p"}, "without '@attribute'"),
    ],
)
def test_validate_config_names_the_wrong_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        css.validate_config(config)


def test_a_wrong_config_fails_the_run_with_its_reason() -> None:
    with pytest.raises(ParseError, match="'date' is missing"):
        _parse({"item": "article", "title": "h3"})


def test_css_sources_are_read_by_this_parser() -> None:
    assert parser_for("css") is css.parse
