"""GET /events and GET /events/{id} over the real database: filters, search, pages, refusals."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from almanac.api.event_schemas import OccurrencePage
from almanac.core.domain import EventIn, OccurrenceIn
from almanac.db.event_writes import WritePlan, write_events
from almanac.db.models import Event
from almanac.db.window import Window
from tests.support.stored_events import StoredEvents

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

EVERYTHING_SHOWN = [
    "Fiddle night",
    "Jazz brunch",
    "Poetry slam",
    "Board games",
    "Called off gig",
]


@pytest.fixture
def city(db_session: Session) -> StoredEvents:
    """Two sources, two venues, and an event of each kind, one a day from tomorrow."""
    rows = StoredEvents(db_session)
    folk, jazz = rows.source("folk-club"), rows.source("jazz-bar")
    hall = rows.venue("town-hall", "Town Hall", "1 Main St")
    cellar = rows.venue("cellar", "The Cellar")
    rows.event(
        folk,
        "Fiddle night",
        NOW + DAY,
        venue=hall,
        categories=["Music", "Folk"],
        price="Free",
        description="<p>Reels and jigs played by local fiddlers</p>",
    )
    rows.event(
        jazz,
        "Jazz brunch",
        NOW + 2 * DAY,
        venue=cellar,
        categories=["Music", "Food"],
        price="$25",
        description="<p>Eggs, coffee and <b>swinging</b> trios</p>",
    )
    rows.event(folk, "Poetry slam", NOW + 3 * DAY, categories=["Words"], price="$0")
    rows.event(jazz, "Board games", NOW + 4 * DAY, venue=hall, categories=["Games"])
    rows.event(folk, "Called off gig", NOW + 5 * DAY, price="£8", status="cancelled")
    rows.event(jazz, "Gone quiz", NOW + 6 * DAY, occurrence_status="removed")
    return rows


def _titles(client: TestClient, params: dict[str, Any] | list[tuple[str, str]]) -> list[str]:
    response = client.get("/events", params=params)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, EVERYTHING_SHOWN),
        ({"source": "folk-club"}, ["Fiddle night", "Poetry slam", "Called off gig"]),
        ([("source", "folk-club"), ("source", "jazz-bar")], EVERYTHING_SHOWN),
        ({"source": "folk-club,jazz-bar"}, EVERYTHING_SHOWN),
        ({"venue": "town-hall"}, ["Fiddle night", "Board games"]),
        ({"venue": "town-hall,cellar"}, ["Fiddle night", "Jazz brunch", "Board games"]),
        ({"category": "music"}, ["Fiddle night", "Jazz brunch"]),
        ([("category", "Games"), ("category", "WORDS")], ["Poetry slam", "Board games"]),
        ({"status": "cancelled"}, ["Called off gig"]),
        ({"status": "removed"}, ["Gone quiz"]),
        (
            {"status": "scheduled,removed"},
            ["Fiddle night", "Jazz brunch", "Poetry slam", "Board games", "Gone quiz"],
        ),
        ({"free": "true"}, ["Fiddle night", "Poetry slam"]),
        ({"free": "false"}, ["Jazz brunch", "Board games", "Called off gig"]),
        ({"q": "fiddler"}, ["Fiddle night"]),
        ({"q": "swing"}, ["Jazz brunch"]),
        ({"q": "game"}, ["Board games"]),
        ({"q": "music"}, []),
        ({"q": '"coffee and swinging"'}, ["Jazz brunch"]),
        ({"q": "jazz -brunch"}, []),
        ({"q": "poetry or fiddle"}, ["Fiddle night", "Poetry slam"]),
        ({"source": "jazz-bar", "category": "music"}, ["Jazz brunch"]),
        ({"venue": "town-hall", "free": "true"}, ["Fiddle night"]),
    ],
)
def test_each_filter_narrows_what_is_listed(
    client: TestClient,
    city: StoredEvents,
    params: dict[str, Any] | list[tuple[str, str]],
    expected: list[str],
) -> None:
    assert _titles(client, params) == expected


def test_a_listed_occurrence_carries_its_event_venue_and_status(
    client: TestClient, city: StoredEvents
) -> None:
    items = client.get("/events").json()["items"]
    fiddle = next(i for i in items if i["title"] == "Fiddle night")
    assert fiddle["event"]["venue"] == {
        "slug": "town-hall",
        "name": "Town Hall",
        "address": "1 Main St",
        "url": None,
    }
    assert (fiddle["event"]["source"], fiddle["event"]["free"]) == ("folk-club", True)
    assert fiddle["event"]["categories"] == ["Music", "Folk"]
    called_off = next(i for i in items if i["title"] == "Called off gig")
    assert called_off["status"] == "cancelled"


@pytest.mark.parametrize(
    ("price", "free"),
    [
        ("Free", True),
        ("FREE admission", True),
        ("free (RSVP required)", True),
        ("Gratis", True),
        ("No cover", True),
        ("$0", True),
        ("0.00 EUR", True),
        ("€0,00", True),
        ("$10", False),
        ("Free–$10", False),
        ("Free for members, $5 for guests", False),
        ("Donation", False),
        ("$10.50", False),
        ("100", False),
        (None, False),
    ],
)
def test_free_means_the_price_says_so(
    client: TestClient, db_session: Session, price: str | None, free: bool
) -> None:
    rows = StoredEvents(db_session)
    rows.event(rows.source("hall"), "Show", NOW + DAY, price=price)
    assert _titles(client, {"free": str(free).lower()}) == ["Show"]
    assert _titles(client, {"free": str(not free).lower()}) == []


def test_pages_walk_every_occurrence_once_in_order(client: TestClient, db_session: Session) -> None:
    rows = StoredEvents(db_session)
    source = rows.source("busy-hall")
    for n in range(23):
        # Several occurrences share a start: the cursor must tell them apart.
        rows.event(source, f"Show {n}", NOW + DAY + (n // 3) * timedelta(hours=5))
    window = {"end": (NOW + 30 * DAY).isoformat()}
    everything = client.get("/events", params=window | {"limit": 500}).json()["items"]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = client.get(
            "/events", params=window | {"limit": 4} | ({"cursor": cursor} if cursor else {})
        ).json()
        pages += 1
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(everything) == 23
    assert seen == [item["id"] for item in everything]
    assert pages == 6
    starts = [item["starts_at"] for item in everything]
    assert starts == sorted(starts)


def test_pages_of_a_filtered_list_keep_the_filter(client: TestClient, city: StoredEvents) -> None:
    first = client.get("/events", params={"source": "jazz-bar", "limit": 1}).json()
    second = client.get(
        "/events", params={"source": "jazz-bar", "limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert [first["items"][0]["title"], second["items"][0]["title"]] == [
        "Jazz brunch",
        "Board games",
    ]


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-12-10T00:00:00Z", "end": "2026-12-01T00:00:00Z"}, "end must be after"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2027-06-01T00:00:00Z"}, "at most 366 days"),
        ({"start": "9999-12-31T00:00:00Z"}, "beyond the calendar"),
        ({"source": "folk-club,nowhere"}, "unknown source nowhere"),
        ({"venue": "the-moon"}, "unknown venue the-moon"),
        ({"status": "maybe"}, "unknown status maybe"),
        ({"cursor": "zzz"}, "cursor"),
        ({"cursor": _cursor("yesterday|1")}, "cursor"),
        ({"cursor": _cursor("2026-12-01T00:00:00|1")}, "cursor"),
        ({"cursor": _cursor(f"2026-12-01T00:00:00+00:00|{2**70}")}, "cursor"),
        ({"cursor": "%%%"}, "cursor"),
    ],
)
def test_bad_parameters_are_a_422_that_says_what_is_wrong(
    client: TestClient, city: StoredEvents, params: dict[str, str], message: str
) -> None:
    response = client.get("/events", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    "params", [{"limit": "501"}, {"limit": "0"}, {"free": "perhaps"}, {"start": "soon"}]
)
def test_values_of_the_wrong_kind_are_a_422_with_details(
    client: TestClient, params: dict[str, str]
) -> None:
    response = client.get("/events", params=params)
    assert response.status_code == 422
    assert list(response.json()) == ["detail"]
    assert response.json()["detail"]


def _film_club(*starts: datetime) -> EventIn:
    occurrences = tuple(
        OccurrenceIn(f"week-{n}", start, start + timedelta(hours=2), False, "UTC")
        for n, start in enumerate(starts)
    )
    return EventIn(external_id="film-club", title="Film club", price="$5", occurrences=occurrences)


def test_one_event_with_its_occurrences_source_venue_and_moves(
    client: TestClient, db_session: Session, city: StoredEvents
) -> None:
    source = city.source("cinema", "The Cinema")
    hall = city.venue("picture-house", "Picture House")
    plan = WritePlan(Window(NOW - DAY, NOW + 400 * DAY), NOW)
    first, second = NOW + DAY, NOW + 8 * DAY
    write_events(db_session, source.id, [_film_club(first, second)], plan)
    write_events(db_session, source.id, [_film_club(first + HOUR, second)], plan)
    write_events(db_session, source.id, [_film_club(first + 2 * HOUR)], plan)
    db_session.execute(update(Event).where(Event.source_id == source.id).values(venue_id=hall.id))
    event_id = db_session.scalars(select(Event.id).where(Event.source_id == source.id)).one()

    response = client.get(f"/events/{event_id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["source"], body["free"]) == ("Film club", "cinema", False)
    assert body["source_detail"]["name"] == "The Cinema"
    assert body["venue"]["name"] == "Picture House"
    assert body["sequence"] == 2
    occurrences = body["occurrences"]
    assert [o["status"] for o in occurrences] == ["scheduled", "removed"]
    assert occurrences[1]["removed_at"] is not None
    assert datetime.fromisoformat(occurrences[0]["previous_starts_at"]) == first + HOUR
    moves = [
        (m["occurrence_id"], _moment(m["previous_starts_at"]), _moment(m["starts_at"]))
        for m in body["moves"]
    ]
    assert moves == [
        (occurrences[0]["id"], first, first + HOUR),
        (occurrences[0]["id"], first + HOUR, first + 2 * HOUR),
    ]


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.mark.parametrize("event_id", ["999999", "0", "-4", str(2**70)])
def test_an_unknown_event_is_a_404(client: TestClient, event_id: str) -> None:
    response = client.get(f"/events/{event_id}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"no event {event_id}"}


@pytest.mark.parametrize("words", ["the", "!!! & | <->", "'", "\\", "-", '"unclosed', "a:*"])
def test_any_words_are_searched_without_an_error(
    client: TestClient, city: StoredEvents, words: str
) -> None:
    response = client.get("/events", params={"q": words})
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_a_page_holds_exactly_the_fields_its_schema_describes(
    client: TestClient, city: StoredEvents, db_session: Session
) -> None:
    rows = StoredEvents(db_session)
    market = rows.source("market")
    rows.event(market, "Harvest fair", NOW + DAY, hours=24, all_day=True, zone="Europe/London")
    moved = rows.event(market, "Moved talk", NOW + 2 * DAY, zone="UTC")
    moved.previous_starts_at = NOW + DAY + HOUR
    db_session.flush()
    body = client.get("/events").json()
    assert body["count"] == len(EVERYTHING_SHOWN) + 2
    # The page is written straight from the rows: it must read back as the model's own.
    assert OccurrencePage.model_validate(body).model_dump(mode="json") == body
    fair = next(i for i in body["items"] if i["title"] == "Harvest fair")
    assert (fair["all_day"], fair["start_date"]) == (True, (NOW + DAY).date().isoformat())
    talk = next(i for i in body["items"] if i["title"] == "Moved talk")
    assert talk["starts_at"].endswith("Z")
    assert _moment(talk["previous_starts_at"]) == NOW + DAY + HOUR
