"""Hashes keep their value across versions: an upgrade alone must not rewrite every event."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from almanac.core.domain import EventIn, EventStatus, OccurrenceIn
from almanac.db.hashing import event_hash, input_hash, occurrence_hash, schedule_hash

NEW_YORK = ZoneInfo("America/New_York")
TIMED = OccurrenceIn(
    "20261203T190000Z",
    datetime(2026, 12, 3, 14, tzinfo=NEW_YORK),
    datetime(2026, 12, 3, 16, 30, tzinfo=NEW_YORK),
    False,
    "America/New_York",
)
ALL_DAY = OccurrenceIn(
    "20261205",
    datetime(2026, 12, 5, tzinfo=NEW_YORK),
    None,
    True,
    "America/New_York",
    EventStatus.CANCELLED,
)
ODD_TEXT = EventIn(
    "café@x",
    'Café "Jazz" \\ night – ♫',
    (TIMED, ALL_DAY),
    description="Line one\nLine two\ttab",
    url="https://x.example/é",
    categories=("Music", "Jazz ♫"),
    price="$10–$20",
    status=EventStatus.CANCELLED,
)
PLAIN = EventIn(
    "plain",
    "Plain",
    (
        OccurrenceIn(
            "single", datetime(2026, 12, 3, 19, 0, 0, 123456, tzinfo=UTC), None, False, "UTC"
        ),
    ),
)


def test_event_hashes_are_those_stored_before() -> None:
    assert (
        event_hash(ODD_TEXT) == "cdee3e2816abcd80f08992a0dea9ae73e9f7a8314a524e3f71ed96b2c166ff97"
    )
    assert event_hash(PLAIN) == "a3e4cc4178d156b5802d87efcf9d874b0cc864a488d166c6bb4b37798591a92a"


def test_occurrence_hashes_are_those_stored_before() -> None:
    assert occurrence_hash(TIMED) == (
        "ba76ddf96529e1e128852dc66e726a9889eee43ea08c8d02530e1e7a1e995bc9"
    )
    assert occurrence_hash(ALL_DAY) == (
        "ae41fdb7aefb0172a0d5830cdab04306cc4ecd9eb48b6cd73e29eeed5d22b842"
    )


def test_schedule_hashes_are_those_stored_before() -> None:
    assert schedule_hash((ALL_DAY, TIMED)) == (
        "9698c3b0d164b957cc6ae47d4e314865e196a79e28b5b7037fb6a23711b846b2"
    )
    assert schedule_hash(()) == "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"


class _Text(str):
    """A str subclass, as some parsers hand over."""


def test_input_hash_is_the_same_for_the_same_event_and_differs_when_it_changes() -> None:
    assert input_hash(ODD_TEXT) == input_hash(replace(ODD_TEXT))
    moved = replace(TIMED, starts_at=TIMED.starts_at.replace(minute=30))
    changes = [
        replace(ODD_TEXT, title="Other"),
        replace(ODD_TEXT, description=None),
        replace(ODD_TEXT, categories=("Music",)),
        replace(ODD_TEXT, status=EventStatus.SCHEDULED),
        replace(ODD_TEXT, occurrences=(moved, ALL_DAY)),
        replace(ODD_TEXT, occurrences=(TIMED,)),
        replace(ODD_TEXT, occurrences=(replace(TIMED, title="Own title"), ALL_DAY)),
    ]
    assert len({input_hash(e) for e in [ODD_TEXT, *changes]}) == len(changes) + 1


def test_input_hash_takes_str_subclasses() -> None:
    subclassed = replace(PLAIN, title=_Text("Plain"), categories=(_Text("Jazz"),))
    assert input_hash(subclassed) == input_hash(replace(subclassed))
    assert input_hash(subclassed) != input_hash(replace(subclassed, title=_Text("Other")))
