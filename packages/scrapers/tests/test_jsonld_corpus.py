"""The JSON-LD and microdata adapter on every real page of the shared corpus.

The reference answers (`*.expected.json`) were made with extruct; they copy
values verbatim. Both sides are brought to one shape before comparing: the
title as people read it, the start in UTC (times without an offset read in
`ZONE`, dates kept as dates), and the venue's name.

Where the adapter decides differently from the reference, `DEVIATIONS` names
the file and the rule.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo

import pytest

from almanac.core.domain import EventIn, ParseResult
from almanac.scrapers.context import ParseContext
from almanac.scrapers.jsonld import parse
from almanac.scrapers.jsonld.urls import absolute

CORPUS_HTML = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "html"
PAGES = sorted(CORPUS_HTML.glob("*.html"))
ZONE = ZoneInfo("America/New_York")
CONTEXT = ParseContext(ZONE, datetime(1990, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC))

MAXIMO_PARK = "Maxïmo Park Gigography, Tour History & Past Concerts.html"
DEVIATIONS = {
    "det_authority.html": (
        "titles have their HTML entities decoded: the reference's "
        "'DDA Regular Board Meeting&#8211;CANCELLED' is 'DDA Regular Board Meeting–CANCELLED'"
    ),
    "JSONLD_with_JS_comment.html": (
        "a block with a JavaScript comment is not JSON: it is skipped with a problem, "
        "where extruct reads it with jstyleson (it holds no event either way)"
    ),
    MAXIMO_PARK: (
        "the page declares no charset and is read as the UTF-8 it is ('Maxïmo Park'), where "
        "the reference's block-by-block reading (ld_json_blocks) took it for Latin-1 "
        "('MaxÃ¯mo Park'): that text is repaired first; "
        "'Standon Calling 2014' is listed twice with the same start and venue but two "
        "Songkick URLs: two events, not one event written twice"
    ),
}
READ_AS_LATIN_1 = {MAXIMO_PARK}


@dataclass(frozen=True)
class Seen:
    title: str
    start: str
    venue: str | None


def _page_url(path: Path) -> str:
    return "https://corpus.example/html/" + quote(path.name)


def _reference(path: Path) -> dict[str, Any]:
    expected = path.with_name(path.name.removesuffix(".html") + ".expected.json")
    answer: dict[str, Any] = json.loads(expected.read_text(encoding="utf-8"))
    return answer


@cache
def _parse(path: Path) -> ParseResult:
    return parse(path.read_bytes(), _page_url(path), CONTEXT)


def _start(written: str) -> str:
    """An ISO date or date-time as the reference copies it, read independently of the adapter."""
    if len(written) == 10:
        return date.fromisoformat(written).isoformat()
    moment = datetime.fromisoformat(written)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZONE)
    return moment.astimezone(UTC).isoformat()


def _theirs(item: dict[str, Any], page: Path) -> Seen:
    misread = page.name in READ_AS_LATIN_1 and item["syntax"] == "json-ld-raw"

    def title(written: str) -> str:
        if misread:
            written = written.encode("latin-1").decode("utf-8")
        return " ".join(html.unescape(written).split())

    venue = (item["location"] or [{}])[0].get("name")
    return Seen(title(item["name"]), _start(item["startDate"]), venue and title(venue))


def _ours(event: EventIn) -> Seen:
    occurrence = event.occurrences[0]
    start = (
        occurrence.starts_at.date().isoformat()
        if occurrence.all_day
        else occurrence.starts_at.astimezone(UTC).isoformat()
    )
    return Seen(event.title, start, event.location_text)


def _matches(theirs: Seen, ours: Seen) -> bool:
    return (
        theirs.title == ours.title
        and theirs.start == ours.start
        and (theirs.venue is None or (ours.venue or "").startswith(theirs.venue))
    )


def _reference_events(reference: dict[str, Any], page: Path) -> list[dict[str, Any]]:
    """Each event the page describes once: from every block that is JSON, and from microdata.

    extruct drops every JSON-LD block of a page when one is broken, so JSON-LD
    events come from the blocks parsed one by one; the same event given in
    JSON-LD and in microdata (same title, start, venue and URL) counts once.
    """
    items = [e for block in reference["ld_json_blocks"] for e in block.get("events", [])]
    items += [e for e in reference["events"] if e["syntax"] != "json-ld"]
    distinct: dict[tuple[Seen, str | None], dict[str, Any]] = {}
    for item in items:
        distinct.setdefault((_theirs(item, page), item["url"]), item)
    return list(distinct.values())


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_every_reference_event_is_found_once(path: Path) -> None:
    reference = _reference(path)
    ours = [_ours(e) for e in _parse(path).events]
    expected = [_theirs(item, path) for item in _reference_events(reference, path)]
    missing = [t for t in expected if not any(_matches(t, o) for o in ours)]
    extra = [o for o in ours if not any(_matches(t, o) for t in expected)]
    assert (missing, extra) == ([], []), DEVIATIONS.get(path.name)
    assert len(ours) == len(expected), DEVIATIONS.get(path.name)
    extruct_found = [_theirs(item, path) for item in reference["events"]]
    assert all(any(_matches(t, o) for o in ours) for t in extruct_found)


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_event_urls_are_the_reference_urls_made_absolute(path: Path) -> None:
    reference = _reference(path)
    base = reference["base_url_used"] or _page_url(path)
    theirs = {absolute(urljoin(base, i["url"]), base) for i in reference["events"] if i["url"]}
    ours = {e.url for e in _parse(path).events if e.url}
    assert ours == theirs


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_a_broken_block_costs_only_itself(path: Path) -> None:
    broken = [b for b in _reference(path)["ld_json_blocks"] if not b["ok"]]
    problems = [p for p in _parse(path).problems if "JSON-LD block" in p.reason]
    assert len(problems) == len(broken), DEVIATIONS.get(path.name)


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_ids_are_distinct_on_each_page(path: Path) -> None:
    ids = [e.external_id for e in _parse(path).events]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", ["jsonld_empty_item_test.html", "JSONLD_with_JS_comment.html"])
def test_pages_without_events_give_none(name: str) -> None:
    result = _parse(CORPUS_HTML / name)
    assert result.events == []


def test_a_block_with_a_javascript_comment_is_a_problem() -> None:
    result = _parse(CORPUS_HTML / "JSONLD_with_JS_comment.html")
    (problem,) = result.problems
    assert "JSON-LD block 1 of 1 skipped, it is not JSON" in problem.reason


def test_the_corpus_is_there() -> None:
    assert len(PAGES) == 14
