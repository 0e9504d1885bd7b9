"""The demo site: its templates, its URLs, and every venue read by Almanac's own parsers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from almanac.core.domain import EventIn, LinkKind, PageRole
from almanac.scrapers.context import ParseContext
from almanac.scrapers.registry import parser_for
from demo.site_server import SITE, DemoSite, resolve
from demo.templates import render, site_today
from tests.support.processes import ROOT

SOURCES_TEMPLATE = (ROOT / "demo/sources.yaml").read_text()
SLUGS = [s["slug"] for s in yaml.safe_load(SOURCES_TEMPLATE)["sources"]]


def test_dates_are_written_relative_to_today_in_the_venues_zone() -> None:
    today = date(2026, 12, 30)
    text = "{{base}}/a {{+3|%Y-%m-%d}} {{-1 19:30|%H:%M %Z}} {{0 19:30 utc|%Y-%m-%d %H:%M}}"
    assert render(text, "http://127.0.0.1:8800", today) == (
        "http://127.0.0.1:8800/a 2027-01-02 19:30 EST 2026-12-31 00:30"
    )


@pytest.mark.parametrize(
    ("path", "query", "file"),
    [
        ("/robots.txt", "", "robots.txt"),
        ("/vanwezel/events", "", "vanwezel/events/index.html"),
        ("/vanwezel/events", "page=2", "vanwezel/events/page-2.html"),
        ("/vanwezel/events/detail/holiday-pops", "", "vanwezel/events/detail/holiday-pops.html"),
        ("/mote/events/month/", "ical=1&tribe-bar-date=2026-11", "mote/events/month/index.ics"),
        (
            "/bayfront-arts/wp-json/tribe/events/v1/events",
            "per_page=3&page=2",
            "bayfront-arts/wp-json/tribe/events/v1/events/page-2.json",
        ),
    ],
)
def test_a_url_is_served_from_its_file(path: str, query: str, file: str) -> None:
    assert resolve(path, query) == SITE / file


@pytest.mark.parametrize("path", ["/../pyproject.toml", "/nowhere", "/vanwezel/events/page-9"])
def test_nothing_else_is_served(path: str) -> None:
    assert resolve(path, "") is None


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    site = DemoSite(0).start()
    yield site
    site.stop()


def _read(source: dict[str, object], context: ParseContext) -> list[EventIn]:
    """Every page of a source, followed the way Almanac follows them, read by its parsers."""
    events, seen = [], set()
    todo = [(str(source["url"]), PageRole.LISTING, str(source["kind"]))]
    while todo:
        url, role, kind = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        answer = httpx.get(url, timeout=10)
        assert answer.status_code == 200, url
        found = parser_for(kind)(answer.content, url, replace(context, page=role))
        assert not found.problems, found.problems
        events += found.events
        for link in found.links:
            if link.kind is LinkKind.FEED:
                todo.append((link.url, PageRole.LISTING, "ical"))
            else:
                page = PageRole.DETAIL if link.kind is LinkKind.DETAIL else PageRole.LISTING
                todo.append((link.url, page, kind))
    return events


@pytest.mark.parametrize("slug", SLUGS)
def test_every_venue_has_upcoming_events_within_a_month(site: DemoSite, slug: str) -> None:
    sources = yaml.safe_load(render(SOURCES_TEMPLATE, site.base, site_today()))["sources"]
    source = next(s for s in sources if s["slug"] == slug)
    assert urlsplit(source["url"]).netloc == urlsplit(site.base).netloc
    now = datetime.now(UTC)
    context = ParseContext(
        timezone=ZoneInfo(source["timezone"]),
        window_start=now - timedelta(days=1),
        window_end=now + timedelta(days=365),
        config=source.get("config", {}),
        page=PageRole.LISTING,
    )
    events = _read(source, context)
    assert events
    upcoming = [
        o
        for e in events
        for o in e.occurrences
        if isinstance(o.starts_at, datetime) and now < o.starts_at < now + timedelta(days=30)
    ]
    assert upcoming, [e.title for e in events]


def test_robots_txt_allows_everything(site: DemoSite) -> None:
    answer = httpx.get(f"{site.base}/robots.txt")
    assert "Allow: /" in answer.text
    assert "Disallow" not in answer.text
