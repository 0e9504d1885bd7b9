"""Generated input, valid and mangled, for the parsers and the ingest (hypothesis).

- The iCalendar and JSON-LD parsers, given any bytes built from a valid file
  (truncated, lines dropped or repeated, bytes flipped, other encodings, garbage),
  raise nothing but a `ParseError` with a reason, and every event they skip comes
  with its reason.
- A valid feed round-trips: served by the local HTTP server, ingested through the
  real pipeline, exported by the API as `.ics` and parsed again, it gives the same
  occurrences (start, end, all-day, cancelled, title) as the first parse.

How many cases ran is counted in the fault suite's figures (`cases_fuzzed`).
`ALMANAC_FUZZ_EXAMPLES` sets how many examples each property gets (default 150,
a tenth of that for the round trip, which writes to PostgreSQL).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import icalendar
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.domain import EventIn, EventStatus, ParseResult, RunStatus, Trigger
from almanac.core.errors import ParseError
from almanac.core.settings import get_settings
from almanac.db.models import Source
from almanac.pipeline.scrape import scrape_source
from almanac.scrapers import ical
from almanac.scrapers.context import ParseContext
from almanac.scrapers.jsonld import parse as parse_jsonld
from tests.support import fault_figures
from tests.support.http_server import LocalHTTPServer

pytestmark = pytest.mark.faults

EXAMPLES = int(os.environ.get("ALMANAC_FUZZ_EXAMPLES", "150"))
ROUND_TRIPS = max(10, EXAMPLES // 10)
ZONE = ZoneInfo("America/New_York")
NOW = datetime.now(UTC).replace(second=0, microsecond=0)
ZONES = ("America/New_York", "Europe/Berlin", "UTC", "Australia/Lord_Howe", "Asia/Kolkata")
SETTINGS = get_settings().model_copy(update={"feed_parse_apart_bytes": 1 << 30})
SLUGS = count()


def _context() -> ParseContext:
    return ParseContext.around(NOW, ZONE, SETTINGS.past_days, SETTINGS.horizon_days)


# Text a person might write: any letter, mark, number, punctuation, symbol or space.
words = st.text(
    st.characters(categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=30
).filter(lambda text: text.strip())
markup = st.sampled_from(
    ("", "<b>bold</b> ", "<script>alert(1)</script>", "<a href='javascript:x'>link</a> ")
)


@dataclass(frozen=True)
class GeneratedEvent:
    uid: str
    summary: str
    description: str | None
    start: datetime | date
    end: datetime | date | timedelta | None
    rrule: dict[str, object] | None
    cancelled: bool


@st.composite
def events(draw: st.DrawFn, number: int) -> GeneratedEvent:
    kind = draw(st.sampled_from(("utc", "zoned", "floating", "date")))
    minutes = draw(st.integers(60, 200 * 24 * 60))
    moment = NOW + timedelta(minutes=minutes)
    start: datetime | date
    if kind == "date":
        start = moment.date()
        length = timedelta(days=draw(st.integers(1, 4)))
    else:
        if kind == "utc":
            start = moment
        elif kind == "zoned":
            start = moment.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))
        else:
            start = moment.astimezone(ZONE).replace(tzinfo=None)
        length = timedelta(minutes=draw(st.integers(15, 3 * 24 * 60)))
    ending = draw(st.sampled_from(("end", "duration", "none")))
    end = start + length if ending == "end" else length if ending == "duration" else None
    rrule = draw(
        st.none()
        | st.fixed_dictionaries(
            {"freq": st.sampled_from(("DAILY", "WEEKLY")), "count": st.integers(1, 5)}
        )
    )
    description = draw(st.none() | st.tuples(markup, words).map("".join))
    return GeneratedEvent(
        uid=f"fuzz-{number}-{draw(st.integers(0, 10**6))}@almanac.test",
        summary=draw(words),
        description=description,
        start=start,
        end=end,
        rrule=rrule,
        cancelled=draw(st.booleans()),
    )


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    """A valid VCALENDAR of 1 to 6 events, written by icalendar."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Almanac//fuzz//EN")
    calendar.add("version", "2.0")
    for number in range(draw(st.integers(1, 6))):
        generated = draw(events(number))
        event = icalendar.Event()
        event.add("uid", generated.uid)
        event.add("dtstamp", NOW)
        event.add("summary", generated.summary)
        if generated.description is not None:
            event.add("description", generated.description)
        event.add("dtstart", generated.start)
        if isinstance(generated.end, timedelta):
            event.add("duration", generated.end)
        elif generated.end is not None:
            event.add("dtend", generated.end)
        if generated.rrule is not None:
            event.add("rrule", generated.rrule)
        if generated.cancelled:
            event.add("status", "CANCELLED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


@st.composite
def mangled(draw: st.DrawFn, valid: st.SearchStrategy[bytes]) -> bytes:
    """A valid body broken in one to three ways."""
    body = draw(valid)
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(("cut", "drop", "repeat", "flip", "insert", "encode")))
        lines = body.split(b"\n")
        at = draw(st.integers(0, max(0, len(body) - 1)))
        line = draw(st.integers(0, len(lines) - 1))
        if how == "cut":
            body = body[:at]
        elif how == "drop":
            body = b"\n".join(lines[:line] + lines[line + 1 :])
        elif how == "repeat":
            body = b"\n".join(lines[: line + 1] + lines[line:])
        elif how == "flip":
            body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
        elif how == "insert":
            body = body[:at] + draw(st.binary(min_size=1, max_size=40)) + body[at:]
        else:
            text = body.decode("utf-8", errors="replace")
            encoding = draw(st.sampled_from(("latin-1", "utf-16", "cp1252", "utf-8-sig")))
            body = text.encode(encoding, errors="replace")
    return body


@st.composite
def event_pages(draw: st.DrawFn) -> bytes:
    """A page with one to four JSON-LD blocks of schema.org events."""
    blocks = []
    for _ in range(draw(st.integers(1, 4))):
        start = NOW + timedelta(minutes=draw(st.integers(60, 200 * 24 * 60)))
        item: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": draw(st.sampled_from(("Event", "MusicEvent", "TheaterEvent"))),
            "name": draw(words),
            "startDate": start.astimezone(ZONE).isoformat(),
            "url": f"https://venue.test/{draw(st.integers(0, 999))}",
        }
        if draw(st.booleans()):
            item["location"] = {"@type": "Place", "name": draw(words)}
        if draw(st.booleans()):
            item["eventStatus"] = "https://schema.org/EventCancelled"
        blocks.append(
            f'<script type="application/ld+json">{json.dumps(item, ensure_ascii=False)}</script>'
        )
    return f"<html><head>{''.join(blocks)}</head><body></body></html>".encode()


def _parsed_with_reasons(parse: object, body: bytes) -> ParseResult | None:
    """The parse of `body`, or None when it was refused with a reason; anything else
    escaping the parser fails the test."""
    assert callable(parse)
    try:
        result: ParseResult = parse(body, "https://venue.test/feed", _context())
    except ParseError as exc:
        refusal = str(exc)
    else:
        assert all(problem.reason.strip() for problem in result.problems), result.problems
        return result
    assert refusal.strip(), "a refusal must say why"
    return None


@settings(max_examples=EXAMPLES, deadline=None)
@given(feeds())
def test_every_valid_generated_feed_is_read_whole(body: bytes) -> None:
    fault_figures.count("cases_fuzzed")
    result = _parsed_with_reasons(ical.parse, body)
    assert result is not None
    assert not result.problems, result.problems
    assert result.events


@settings(max_examples=EXAMPLES, deadline=None)
@given(mangled(feeds()))
def test_a_mangled_feed_is_read_or_refused_with_reasons(body: bytes) -> None:
    fault_figures.count("cases_fuzzed")
    _parsed_with_reasons(ical.parse, body)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.one_of(event_pages(), mangled(event_pages())))
def test_an_event_page_valid_or_mangled_is_read_or_refused_with_reasons(body: bytes) -> None:
    fault_figures.count("cases_fuzzed")
    _parsed_with_reasons(parse_jsonld, body)


Seen = tuple[object, ...]


def _seen(events: list[EventIn]) -> Counter[Seen]:
    """Each occurrence as a calendar shows it: its start (a day when all-day), its end
    where one was given, cancelled or not, and its title."""
    seen: Counter[Seen] = Counter()
    for event in events:
        for o in event.occurrences:
            cancelled = EventStatus.CANCELLED in (event.status, o.status)
            if o.all_day:
                zone = ZoneInfo(o.timezone)
                start: object = o.starts_at.astimezone(zone).date()
                end: object = o.ends_at.astimezone(zone).date() if o.ends_at else None
            else:
                start = o.starts_at.astimezone(UTC)
                end = o.ends_at.astimezone(UTC) if o.ends_at else None
            seen[(start, end, o.all_day, cancelled, o.title or event.title)] += 1
    return seen


def _without_ends(seen: Counter[Seen], like: Counter[Seen]) -> Counter[Seen]:
    """`seen` with the ends dropped where `like` has none (a default end was stored)."""
    open_ended = {key[:1] + key[2:] for key in like if key[1] is None}
    return Counter(
        {(k[0], None, *k[2:]) if k[:1] + k[2:] in open_ended else k: n for k, n in seen.items()}
    )


@settings(
    max_examples=ROUND_TRIPS,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=feeds())
def test_a_valid_feed_ingested_then_exported_parses_to_the_same_occurrences(
    body: bytes,
    sessions: sessionmaker[Session],
    http_server: LocalHTTPServer,
    client: TestClient,
) -> None:
    fault_figures.count("cases_fuzzed")
    first = ical.parse(body, "https://venue.test/feed", _context())
    slug = f"fuzz-{next(SLUGS)}"
    url = http_server.serve(f"/{slug}.ics", body)
    with sessions() as session:
        session.add(Source(slug=slug, name=slug, kind="ical", url=url, timezone=ZONE.key))
        session.commit()
    summary = scrape_source(sessions, SETTINGS, slug, trigger=Trigger.CLI, now=NOW)
    assert summary.status is RunStatus.OK, (summary.status, summary.message, summary.errors)

    exported = client.get(f"/sources/{slug}/events.ics")
    assert exported.status_code == 200, exported.text
    again = ical.parse(exported.content, url, _context())
    assert not again.problems, again.problems
    before = _seen(first.events)
    after = _without_ends(_seen(again.events), before)
    assert after == before
