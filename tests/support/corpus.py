"""The shared corpus of real iCalendar files and how Almanac's answers compare with
the reference answers made by icalendar and recurring-ical-events.

Both sides are brought to one shape, `Seen`: times in UTC (floating reference
times are read in the source's zone, as Almanac reads them), all-day dates as
dates, recurrence ids likewise. Where Almanac decides differently on purpose,
`DEVIATIONS` names the file and the rule, and adjusts the reference accordingly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from almanac.core.domain import EventIn

CORPUS_ICS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "ics"
ZONE = ZoneInfo("America/New_York")
"""The zone of the test source: floating times in the corpus are read in it."""
WINDOW = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
"""The reference answers cover occurrences starting in this window."""


@dataclass(frozen=True)
class Seen:
    start: str
    uid: str | None
    recurrence_id: str | None
    end: str
    cancelled: bool
    summary: str | None


def _order(seen: Seen) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in vars(seen).values())


def _sorted(seen: list[Seen]) -> list[Seen]:
    return sorted(seen, key=_order)


@dataclass(frozen=True)
class Deviation:
    """Where Almanac decides differently from the reference, and why."""

    rule: str
    adjust: Callable[[list[Seen]], list[Seen]] = lambda seen: seen
    """Applied to both answers before they are compared."""


def _titles_trimmed(seen: list[Seen]) -> list[Seen]:
    return [
        replace(s, summary=" ".join(s.summary.split()) if s.summary else s.summary) for s in seen
    ]


def _untitled(seen: list[Seen]) -> list[Seen]:
    return [replace(s, summary=s.summary if s.summary else "(untitled)") for s in seen]


def _ascii_only(seen: list[Seen]) -> list[Seen]:
    """Compares titles on their ASCII letters: the reference has U+FFFD where Almanac has ü."""
    return [
        replace(s, summary="".join(c if c.isascii() else "?" for c in s.summary or ""))
        for s in seen
    ]


DEVIATIONS: dict[str, Deviation] = {
    "Office-2012-owa.ics": Deviation(
        "titles are trimmed and their white space collapsed (' TEST' is 'TEST')", _titles_trimmed
    ),
    "basic_latin1.ics": Deviation(
        "a feed that is not UTF-8 is decoded in its detected charset, so 'Restmülltonne' "
        "keeps its ü where the reference has U+FFFD",
        _ascii_only,
    ),
    "issue_237_fail_to_parse_timezone_with_non_ascii_tzid.ics": Deviation(
        "an event without SUMMARY is titled '(untitled)'", _untitled
    ),
    "icloud.ics": Deviation(
        "a VTIMEZONE that cannot be read is ignored with a problem in the run, and the "
        "events keep their TZID read as the IANA zone of that name (Europe/Berlin); the "
        "reference refuses the whole file"
    ),
    "non_dst_error.ics": Deviation(
        "VALARMs are not read, so the invalid duration in an alarm does not lose its "
        "event; the reference refuses the whole file"
    ),
}

RECOVERED = {"icloud.ics": 39, "non_dst_error.ics": 2}
"""Files the reference cannot parse, and how many occurrences Almanac keeps from them."""


def corpus_files() -> list[Path]:
    return sorted(CORPUS_ICS.glob("*.ics"))


def reference(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_suffix(".expected.json").read_text())
    return data


def _utc(value: str | None) -> str | None:
    """A reference time in the shape Almanac stores: UTC, or a date."""
    if value is None or len(value) == 10 or value.endswith("Z"):
        return value
    local = datetime.fromisoformat(value).replace(tzinfo=ZONE)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected(path: Path) -> tuple[list[Seen], bool]:
    """The reference occurrences (adjusted by the file's deviation) and whether truncated."""
    data = reference(path)
    seen = _sorted(
        [
            Seen(
                start=_utc(o["start"]) or "",
                uid=o["uid"],
                recurrence_id=_utc(o["recurrence_id"]),
                end=_utc(o["end"]) or "",
                cancelled=(o["status"] or "").upper() == "CANCELLED",
                summary=o["summary"],
            )
            for o in data.get("occurrences") or []
        ]
    )
    deviation = DEVIATIONS.get(path.name)
    if deviation is not None:
        seen = _sorted(deviation.adjust(seen))
    return seen, bool(data.get("occurrences_truncated"))


def _uid(external_id: str) -> str | None:
    return None if external_id.startswith("almanac-") else external_id


def _when(moment: datetime, all_day: bool) -> str:
    if all_day:
        return moment.astimezone(ZONE).date().isoformat()
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seen_in_events(events: list[EventIn]) -> list[Seen]:
    """Almanac's parsed events, occurrence by occurrence."""
    return _sorted(
        [
            Seen(
                start=_when(o.starts_at, o.all_day),
                uid=_uid(e.external_id),
                recurrence_id=None if o.recurrence_key == "single" else o.recurrence_key,
                end=_when(o.ends_at, o.all_day),
                cancelled=o.status == "cancelled",
                summary=o.title or e.title,
            )
            for e in events
            for o in e.occurrences
            if WINDOW[0] <= o.starts_at < WINDOW[1] or o.all_day
        ]
    )


def seen_in_api(items: list[dict[str, Any]]) -> list[Seen]:
    """Almanac's answer through `GET /events`, occurrence by occurrence."""
    return _sorted(
        [
            Seen(
                start=item["start_date"] if item["all_day"] else _api_time(item["starts_at"]),
                uid=_uid(item["event"]["external_id"]),
                recurrence_id=item["recurrence_id"],
                end=item["end_date"] if item["all_day"] else _api_time(item["ends_at"]),
                cancelled=item["status"] == "cancelled",
                summary=item["title"],
            )
            for item in items
        ]
    )


def _api_time(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def compare(
    ours: list[Seen], theirs: list[Seen], truncated: bool, deviation: Deviation | None = None
) -> tuple[list[Seen], list[Seen]]:
    """What only Almanac has, and what only the reference has."""
    if truncated:
        ours = ours[: len(theirs)]
    if deviation is not None:
        ours = _sorted(deviation.adjust(ours))
    mine, reference_set = set(ours), set(theirs)
    return _sorted(list(mine - reference_set)), _sorted(list(reference_set - mine))
