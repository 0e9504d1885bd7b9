"""The JSON-LD and microdata adapter on small pages shaped like venues' own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from almanac.core.domain import EventIn, EventStatus, Link, LinkKind, PageRole, ParseResult
from almanac.core.errors import ParseError
from almanac.scrapers.context import ParseContext
from almanac.scrapers.jsonld import parse
from almanac.scrapers.registry import parser_for

FIXTURES = Path(__file__).parent / "fixtures" / "jsonld"
NEW_YORK = ZoneInfo("America/New_York")
LISTING_URL = "https://harborroom.example/events/"
DAY = "2026-12-01"


def _context(page: PageRole = PageRole.LISTING, **config: Any) -> ParseContext:
    return ParseContext(
        timezone=NEW_YORK,
        window_start=datetime(2026, 11, 1, tzinfo=UTC),
        window_end=datetime(2027, 11, 1, tzinfo=UTC),
        config=config,
        page=page,
    )


def _read(name: str, url: str, context: ParseContext | None = None) -> ParseResult:
    return parse((FIXTURES / name).read_bytes(), url, context or _context())


def _by_title(result: ParseResult) -> dict[str, EventIn]:
    return {event.title: event for event in result.events}


def _page(*blocks: str) -> bytes:
    scripts = "".join(f'<script type="application/ld+json">{b}</script>' for b in blocks)
    return f"<html><head>{scripts}</head><body></body></html>".encode()


def test_detail_links_chosen_by_selector_with_the_next_page() -> None:
    result = _read("listing.html", LISTING_URL, _context(detail_links="a.event-link"))
    assert result.links == [
        Link("https://harborroom.example/events/jazz-night", LinkKind.DETAIL),
        Link("https://harborroom.example/events/open-mic", LinkKind.DETAIL),
        Link("https://harborroom.example/events/?page=2", LinkKind.NEXT_PAGE),
    ]


def test_detail_links_chosen_by_pattern() -> None:
    context = _context(detail_pattern=r"/events/[a-z-]+$")
    detail = [link.url for link in _read("listing.html", LISTING_URL, context).links]
    assert detail[:-1] == [
        "https://harborroom.example/events/jazz-night",
        "https://harborroom.example/events/open-mic",
    ]


@pytest.mark.parametrize(
    "selector",
    [
        "a.event-link",
        'a[class="EVENT-LINK" i]',
        "li:has(a) a.event-link",
        ":is(ul, ol) a.event-link",
    ],
)
def test_detail_links_by_any_css_selector(selector: str) -> None:
    """Selectors beyond what lxml's cssselect reads (the `i` flag, `:has()`) choose the
    same links."""
    links = _read("listing.html", LISTING_URL, _context(detail_links=selector)).links
    assert [link.url for link in links if link.kind is LinkKind.DETAIL] == [
        "https://harborroom.example/events/jazz-night",
        "https://harborroom.example/events/open-mic",
    ]


@pytest.mark.parametrize("rel", ["next", "NEXT", "prefetch Next", "next\tprefetch"])
def test_the_next_page_is_found_however_its_rel_is_written(rel: str) -> None:
    page = f'<html><body><a rel="nofollow" href="/other">x</a><a rel="{rel}" href="?page=2">'
    result = parse(f"{page}More</a></body></html>".encode(), LISTING_URL, _context())
    assert result.links == [Link(LISTING_URL + "?page=2", LinkKind.NEXT_PAGE)]


def test_a_rel_that_only_contains_next_is_not_the_next_page() -> None:
    page = b'<html><body><a rel="nextpage" href="?page=2">More</a></body></html>'
    assert parse(page, LISTING_URL, _context()).links == []


def test_next_page_chosen_by_selector() -> None:
    context = _context(next_page='footer a[href$="page=3"]')
    assert _read("listing.html", LISTING_URL, context).links == [
        Link("https://harborroom.example/events/?page=3", LinkKind.NEXT_PAGE)
    ]


def test_without_detail_options_only_the_next_page_is_followed() -> None:
    assert _read("listing.html", LISTING_URL).links == [
        Link("https://harborroom.example/events/?page=2", LinkKind.NEXT_PAGE)
    ]


def test_a_link_to_the_page_itself_is_never_followed() -> None:
    context = _context(detail_links="a", next_page='a[href="/events/"]')
    urls = [link.url for link in _read("listing.html", LISTING_URL + "?from=nav", context).links]
    assert LISTING_URL not in urls
    assert "https://harborroom.example/about" in urls


@pytest.mark.parametrize(
    ("option", "value"), [("detail_links", "a[href"), ("detail_pattern", "(unclosed")]
)
def test_a_broken_link_option_fails_with_its_name(option: str, value: str) -> None:
    with pytest.raises(ParseError, match=option):
        _read("listing.html", LISTING_URL, _context(**{option: value}))


def test_an_event_in_json_ld_and_in_microdata_is_returned_once() -> None:
    events = _read("listing.html", LISTING_URL).events
    assert [e.title for e in events] == ["Jazz Night with the Bayfront Trio", "Open Mic Comedy"]
    jazz = events[0]
    assert jazz.external_id == jazz.url == "https://harborroom.example/events/jazz-night"
    assert jazz.image_url == "https://harborroom.example/images/jazz-night.jpg"  # from microdata
    assert jazz.price == "$15"
    assert jazz.location_text == "The Harbor Room, 12 Dock St, Sarasota, FL"


def test_times_without_an_offset_are_read_in_the_source_zone() -> None:
    jazz, comedy = _read("listing.html", LISTING_URL).events
    (night,) = jazz.occurrences
    assert night.starts_at == datetime(2026, 12, 4, 20, tzinfo=NEW_YORK)
    assert night.ends_at == datetime(2026, 12, 4, 23, tzinfo=NEW_YORK)
    assert (night.timezone, night.recurrence_key, night.all_day) == (NEW_YORK.key, "single", False)
    (open_mic,) = comedy.occurrences
    assert open_mic.starts_at == datetime(2026, 12, 6, 0, 30, tzinfo=UTC)  # -0500, no colon
    assert open_mic.timezone == "UTC"


def test_a_detail_page_gives_its_event_and_no_links() -> None:
    url = "https://asolo.example/shows/the-tempest?ref=home"
    result = _read("detail.html", url, _context(PageRole.DETAIL, detail_links="a"))
    (tempest,) = result.events
    assert result.links == []
    assert tempest.title == "The Tempest & a Talk-back"
    assert tempest.url == tempest.external_id == "https://asolo.example/shows/the-tempest"
    assert tempest.location_text == (
        "Asolo Playhouse, 5555 N Tamiami Trail, Sarasota, FL, 34243, US"
    )
    assert tempest.image_url == "https://asolo.example/img/tempest.jpg"
    assert tempest.price == "$25–$45.50"
    assert tempest.status is EventStatus.SCHEDULED


def test_html_and_script_in_a_description_come_out_sanitized() -> None:
    result = _read("detail.html", "https://asolo.example/shows/the-tempest")
    description = result.events[0].description or ""
    assert description.startswith("<p>Shakespeare's <b>last</b> play.</p>")
    for unsafe in ("<script", "alert", "onerror", "onclick", "<img"):
        assert unsafe not in description
    assert 'rel="noopener noreferrer nofollow"' in description


def test_escaped_markup_in_a_description_is_sanitized_too() -> None:
    block = (
        '{"@type": "Event", "name": "Quiz", "startDate": "2026-12-01T19:00",'
        ' "description": "&lt;p&gt;Teams of four&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;"}'
    )
    (quiz,) = parse(_page(block), LISTING_URL, _context()).events
    assert quiz.description == "<p>Teams of four</p>"


def test_cancelled_and_postponed_events_say_so() -> None:
    events = _by_title(_read("statuses.html", "https://parks.example/events"))
    parade, market = events["Lantern Parade"], events["Winter Market"]
    assert parade.status is parade.occurrences[0].status is EventStatus.CANCELLED
    assert market.status is market.occurrences[0].status is EventStatus.POSTPONED


def test_a_rescheduled_event_is_scheduled_at_its_new_start() -> None:
    choir = _by_title(_read("statuses.html", "https://parks.example/events"))["Choir on the Green"]
    assert choir.status is EventStatus.SCHEDULED
    assert choir.occurrences[0].starts_at == datetime(2026, 12, 20, 17, tzinfo=NEW_YORK)


def test_a_date_without_a_time_is_an_all_day_occurrence() -> None:
    market = _by_title(_read("statuses.html", "https://parks.example/events"))["Winter Market"]
    (day,) = market.occurrences
    assert day.all_day
    assert day.starts_at == datetime(2026, 12, 13, tzinfo=NEW_YORK)
    assert day.ends_at == datetime(2026, 12, 14, tzinfo=NEW_YORK)
    assert market.location_text == "Bayfront Park"


@pytest.mark.parametrize(
    ("title", "price"),
    [
        ("Library Story Time", "Free"),
        ("Museum Late", "Free"),
        ("Symphony Gala", "$85"),
        ("Ice Hockey Derby", "£12–£40"),
        ("Book Fair", "from €10"),
    ],
)
def test_offers_give_a_price_or_free(title: str, price: str) -> None:
    assert _by_title(_read("offers.html", "https://library.example/"))[title].price == price


def test_a_graph_with_sub_events_gives_the_festival_and_each_of_its_events() -> None:
    events = _by_title(_read("festival.html", "https://folkfest.example/2026/"))
    assert list(events) == [
        "Folk Fest 2026",
        "Opening Night: The Riverside Ramblers",
        "Fiddle Workshop",
    ]
    festival = events["Folk Fest 2026"]
    assert festival.location_text == "Riverside Grounds, Bradenton, FL"  # by @id
    assert festival.occurrences[0].ends_at == datetime(2026, 12, 21, tzinfo=NEW_YORK)
    opening = events["Opening Night: The Riverside Ramblers"]
    assert opening.location_text == festival.location_text
    assert opening.url is None
    assert opening.external_id.startswith("almanac-")
    workshop = events["Fiddle Workshop"]
    assert workshop.external_id == "https://folkfest.example/2026/workshops/fiddle"
    assert workshop.location_text == "Workshop Tent"


def test_on_a_detail_page_the_event_without_a_url_is_the_page_s_own() -> None:
    block = """{"@graph": [
        {"@type": "WebPage", "mainEntity": {"@id": "#show", "@type": "Event"}},
        {"@type": "Event", "@id": "#show", "name": "Nutcracker", "startDate": "2026-12-19",
         "subEvent": {"@type": "Event", "name": "Matinee", "startDate": "2026-12-19T14:00"}}
    ]}"""
    url = "https://ballet.example/nutcracker"
    result = parse(_page(block), url, _context(PageRole.DETAIL))
    show, matinee = result.events
    assert show.external_id == show.url == url
    assert matinee.url is None
    assert matinee.external_id.startswith("almanac-")
    assert result.problems == []  # the reference to the show is not a second, empty event


def test_an_end_that_cannot_be_read_is_ignored_with_a_problem() -> None:
    block = '{"@type": "Event", "name": "Quiz", "startDate": "2026-12-01T19:00", "endDate": "late"}'
    result = parse(_page(block), LISTING_URL, _context())
    (quiz,) = result.events
    assert quiz.occurrences[0].ends_at is None
    (problem,) = result.problems
    assert problem.item == "Quiz"
    assert "endDate is ignored" in problem.reason


def test_an_event_without_a_url_keeps_its_id_wherever_it_is_on_the_page() -> None:
    quiz = '{"@type": "Event", "name": "Quiz", "startDate": "2026-12-01T19:00"}'
    bingo = '{"@type": "Event", "name": "Bingo", "startDate": "2026-12-02T19:00"}'
    first = _by_title(parse(_page(quiz, bingo), LISTING_URL, _context()))
    again = _by_title(parse(_page(f"[{bingo}, {quiz}]"), LISTING_URL, _context()))
    assert {t: e.external_id for t, e in first.items()} == {
        t: e.external_id for t, e in again.items()
    }


def test_events_that_share_a_url_are_told_apart_by_their_content() -> None:
    blocks = [
        f'{{"@type": "Event", "name": "{name}", "url": "{LISTING_URL}", "startDate": "{day}"}}'
        for day, name in (("2026-12-01", "Quiz"), ("2026-12-02", "Bingo"))
    ]
    events = parse(_page(*blocks), LISTING_URL, _context()).events
    ids = {e.external_id for e in events}
    assert len(ids) == 2
    assert all(i.startswith("almanac-") for i in ids)


def test_the_listing_s_own_url_never_identifies_one_of_its_events() -> None:
    block = f'{{"@type": "Event", "name": "Quiz", "url": "{LISTING_URL}", "startDate": "{DAY}"}}'
    (on_listing,) = parse(_page(block), LISTING_URL, _context()).events
    (on_detail,) = parse(_page(block), LISTING_URL, _context(PageRole.DETAIL)).events
    assert on_listing.external_id.startswith("almanac-")
    assert on_detail.external_id == LISTING_URL


def test_an_event_whose_start_cannot_be_read_is_skipped_with_its_name() -> None:
    blocks = (
        '{"@type": "Event", "name": "Quiz", "startDate": "sometime soon"}',
        '{"@type": "Event", "name": "Bingo", "startDate": "2026-12-02T19:00"}',
    )
    result = parse(_page(*blocks), LISTING_URL, _context())
    assert [e.title for e in result.events] == ["Bingo"]
    (problem,) = result.problems
    assert problem.item == "Quiz"
    assert "'Quiz' skipped" in problem.reason
    assert "is not a date" in problem.reason


def test_events_outside_the_window_are_dropped() -> None:
    blocks = (
        '{"@type": "Event", "name": "Last year", "startDate": "2025-12-01T19:00"}',
        '{"@type": "Event", "name": "Next year", "startDate": "2027-12-01T19:00"}',
        '{"@type": "Event", "name": "Soon", "startDate": "2026-12-01T19:00"}',
    )
    result = parse(_page(*blocks), LISTING_URL, _context())
    assert [e.title for e in result.events] == ["Soon"]
    assert result.problems == []


def test_a_broken_block_loses_only_itself() -> None:
    blocks = (
        '{"@type": "Event", "name": "Quiz", "startDate": "2026-12-01T19:00",}',
        '{"@type": "Event", "name": "Bingo", "startDate": "2026-12-02T19:00"}',
    )
    result = parse(_page(*blocks), LISTING_URL, _context())
    assert [e.title for e in result.events] == ["Bingo"]
    (problem,) = result.problems
    assert problem.item == "JSON-LD block 1"


def test_jsonld_sources_are_read_by_this_adapter() -> None:
    assert parser_for("jsonld") is parse
