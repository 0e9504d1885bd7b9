"""The Events Calendar for WordPress, read through its REST API.

The source's URL is the site (its root or any page) or the API's own URL,
`…/wp-json/tribe/events/v1/events`. An HTML page is answered with a link to
the API; the API's JSON with its events and, while there are more, a link to
its next page (`next_rest_url`).

config (used when Almanac builds the API's URL from a page of the site; an
API URL given as the source's URL is read with its own query):
  per_page: events per page of the API, 1 to 50 (default 50)
  start_date, end_date: `YYYY-MM-DD` (default: the window's first and last days)
"""

from __future__ import annotations

import html
import json
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode, urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from almanac.core.domain import EventIn, Link, LinkKind, ParseProblem, ParseResult
from almanac.core.errors import ParseError
from almanac.scrapers.context import ParseContext
from almanac.scrapers.dates import DateProblem, read_when
from almanac.scrapers.markup import attribute, html_tree
from almanac.scrapers.page_dates import Moment
from almanac.scrapers.page_events import build_event, occurrence, status_from
from almanac.scrapers.text import clean_text, decode_body

API_ROUTE = "tribe/events/v1/events"
MAX_PER_PAGE = 50


def parse(body: bytes, url: str, context: ParseContext) -> ParseResult:
    text = decode_body(body).lstrip()
    if text.startswith("<"):
        if API_ROUTE in url:
            raise ParseError(f"{url} answered with a web page, not The Events Calendar's API")
        return ParseResult(links=[Link(api_url(text, url, context), LinkKind.NEXT_PAGE)])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{url} is neither JSON nor a web page: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise ParseError(f"{url} has no list of events: it is not The Events Calendar's REST API")
    result = ParseResult()
    for raw in data["events"]:
        if isinstance(raw, dict):
            event = _event(raw, context, result.problems)
            if event is not None:
                result.events.append(event)
    next_url = data.get("next_rest_url")
    if isinstance(next_url, str) and next_url.strip():
        result.links.append(Link(urljoin(url, next_url.strip()), LinkKind.NEXT_PAGE))
    return result


def api_url(page: str, url: str, context: ParseContext) -> str:
    """The events API of the site `page` belongs to, with the source's options."""
    root = attribute(html_tree(page.encode()).find("link", rel="https://api.w.org/"), "href")
    base = urljoin(url, root) if root else urljoin(url, "/wp-json/")
    endpoint = base + API_ROUTE if base.endswith("/") else f"{base}/{API_ROUTE}"
    config = context.config
    zone = context.timezone
    query = {
        "per_page": _per_page(config.get("per_page")),
        "start_date": str(config.get("start_date") or context.window_start.astimezone(zone).date()),
        "end_date": str(config.get("end_date") or context.window_end.astimezone(zone).date()),
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def _per_page(value: object) -> int:
    try:
        return max(1, min(MAX_PER_PAGE, int(str(value))))
    except ValueError:
        return MAX_PER_PAGE


def _event(
    raw: dict[str, Any], context: ParseContext, problems: list[ParseProblem]
) -> EventIn | None:
    title = _unescaped(raw.get("title"))
    url = clean_text(raw.get("url"))
    zone = _zone(raw.get("timezone"), context.timezone)
    try:
        start, end = _span(raw, zone)
    except (DateProblem, ValueError) as exc:
        name = clean_text(title) or url or str(raw.get("id"))
        problems.append(ParseProblem(f"event skipped, its date cannot be read: {exc}", name))
        return None
    status = status_from(title, _text(raw.get("status")), _text(raw.get("event_status")))
    identifier = raw.get("id")
    return build_event(
        context,
        title=title,
        occurrences=[occurrence(start, end, zone)],
        url=url,
        external_id=url or (f"tribe-{identifier}" if identifier is not None else None),
        description=_description(raw.get("description")),
        image_url=_image(raw.get("image")),
        location_text=_venue(raw.get("venue")),
        categories=[_unescaped(c.get("name")) or "" for c in _dicts(raw.get("categories"))],
        price=_unescaped(raw.get("cost")),
        status=status,
    )


def _span(raw: dict[str, Any], zone: ZoneInfo) -> tuple[Moment, Moment | None]:
    if raw.get("all_day") in (True, "1", 1, "true"):
        first = _local(raw.get("start_date"), zone)
        last = _local(raw.get("end_date"), zone) if raw.get("end_date") else None
        return _day(first), _day(last) if last is not None else None
    start = _utc(raw.get("utc_start_date")) or _local(raw.get("start_date"), zone)
    end = _utc(raw.get("utc_end_date")) or (
        _local(raw.get("end_date"), zone) if raw.get("end_date") else None
    )
    return start, end


def _local(value: object, zone: ZoneInfo) -> Moment:
    return read_when(_text(value) or "", zone)


def _utc(value: object) -> datetime | None:
    text = _text(value)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        return None


def _day(value: Moment) -> date:
    return value.date() if isinstance(value, datetime) else value


def _zone(name: object, default: ZoneInfo) -> ZoneInfo:
    """The event's own zone when it is an IANA name (sites may say "UTC-5" instead)."""
    text = _text(name)
    if not text:
        return default
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return default


def _venue(value: object) -> str | None:
    if not isinstance(value, dict):
        return None  # an event without a venue has `[]`
    region = _text(value.get("stateprovince") or value.get("state"))
    state = " ".join(part for part in (region, _text(value.get("zip"))) if part)
    parts = [_unescaped(value.get(key)) for key in ("venue", "address", "city")] + [state]
    return ", ".join(part for part in parts if part) or None


def _image(value: object) -> str | None:
    return clean_text(value.get("url")) if isinstance(value, dict) else None


def _description(value: object) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return text if "<" in text else html.unescape(text)


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _unescaped(value: object) -> str | None:
    """WordPress writes titles and names with HTML entities (`&#8217;`, `&amp;`)."""
    text = _text(value)
    return clean_text(html.unescape(text)) if text else None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
