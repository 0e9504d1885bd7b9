"""The examples the OpenAPI document shows for events, written once and composed:
one venue, one event at it, one occurrence of that event."""

from __future__ import annotations

from typing import Any

VENUE: dict[str, Any] = {
    "slug": "the-hall",
    "name": "The Hall",
    "address": "1 Main St",
    "url": "https://thehall.example",
}
EVENT: dict[str, Any] = {
    "id": 314,
    "source": "riverside-arts",
    "external_id": "concert-1@riverside-arts.example",
    "title": "Winter Concert",
    "description": "<p>Strings and brass.</p>",
    "url": "https://riverside-arts.example/concert",
    "image_url": "https://riverside-arts.example/concert.jpg",
    "location": "The Hall, 1 Main St",
    "venue": VENUE,
    "categories": ["music"],
    "price": "$10",
    "free": False,
    "status": "scheduled",
    "sequence": 0,
}
OCCURRENCE: dict[str, Any] = {
    "id": 2718,
    "recurrence_id": "20261205T190000",
    "title": "Winter Concert",
    "starts_at": "2026-12-06T00:00:00Z",
    "ends_at": "2026-12-06T02:00:00Z",
    "all_day": False,
    "start_date": "2026-12-05",
    "end_date": "2026-12-06",
    "timezone": "America/New_York",
    "status": "scheduled",
    "previous_starts_at": "2026-12-04T00:00:00Z",
}
LISTED_OCCURRENCE: dict[str, Any] = OCCURRENCE | {"event": EVENT}
OCCURRENCE_PAGE: dict[str, Any] = {
    "start": "2026-11-21T05:00:00Z",
    "end": "2027-02-19T05:00:00Z",
    "count": 1,
    "items": [LISTED_OCCURRENCE],
    "next_cursor": "eyJzIjoiMjAyNi0xMi0wNVQxOTowMDowMFoiLCJpIjoyNzE4fQ",
}
CHANGED_AT = "2026-11-20T06:00:11Z"
EVENT_DETAIL: dict[str, Any] = EVENT | {
    "first_seen_at": "2026-11-01T06:00:10Z",
    "updated_at": CHANGED_AT,
    "removed_at": CHANGED_AT,
    "source_detail": {
        "slug": "riverside-arts",
        "name": "Riverside Arts",
        "url": "https://riverside-arts.example/events.ics",
    },
    "occurrences": [OCCURRENCE | {"removed_at": CHANGED_AT}],
    "moves": [],
}
