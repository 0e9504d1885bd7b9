"""A deterministic iCalendar feed of N events, the same bytes for the same arguments.

Every event starts between 2 and ~300 days after `anchor`, so a window of
[anchor - 1 day, anchor + 365 days] holds all of them, and moving that window
by a day changes nothing. About 10% are all-day (VALUE=DATE), about 10% repeat
weekly ten times; the rest are timed in America/New_York.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

SEED = 20261121
ZONE = "America/New_York"
FIRST_DAY = 2
LAST_DAY = 300
WEEKLY_SPAN_DAYS = 63

VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{ZONE}",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:-0500",
    "TZOFFSETTO:-0400",
    "TZNAME:EDT",
    "DTSTART:19700308T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:-0400",
    "TZOFFSETTO:-0500",
    "TZNAME:EST",
    "DTSTART:19701101T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)

WORDS = (
    *("jazz", "quartet", "folk", "night", "open", "mic", "chamber", "strings", "poetry"),
    *("reading", "gallery", "opening", "film", "screening", "farmers", "market", "book"),
    *("club", "lecture", "dance", "workshop", "choir", "rehearsal", "comedy", "improv"),
    *("trivia", "brass", "band", "yoga", "garden", "tour", "puppet", "show", "lantern"),
    "parade",
)
VENUES = (
    "Van Wezel Performing Arts Hall, 777 N Tamiami Trl, Sarasota, FL",
    "Mote Marine Laboratory, 1600 Ken Thompson Pkwy, Sarasota, FL",
    "Selby Public Library, 1331 1st St, Sarasota, FL",
    "Art Ovation Hotel, 1255 N Palm Ave, Sarasota, FL",
    "Payne Park, 2050 Adams Ln, Sarasota, FL",
    "Florida Studio Theatre, 1241 N Palm Ave, Sarasota, FL",
)


def generate(count: int, anchor: datetime, *, seed: int = SEED, stamp: str = "") -> bytes:
    """`count` VEVENTs dated from `anchor`; `stamp` changes only the DTSTAMPs."""
    rng = random.Random(seed)
    day0 = anchor.date()
    dtstamp = stamp or f"{day0:%Y%m%d}T000000Z"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Almanac//bench feed//EN",
        "CALSCALE:GREGORIAN",
        *VTIMEZONE,
    ]
    for number in range(count):
        kind = rng.random()
        weekly = kind < 0.1
        all_day = 0.1 <= kind < 0.2
        last = LAST_DAY - WEEKLY_SPAN_DAYS if weekly else LAST_DAY
        day = day0 + timedelta(days=rng.randint(FIRST_DAY, last))
        title = " ".join(rng.choice(WORDS) for _ in range(3)).title()
        lines += [
            "BEGIN:VEVENT",
            f"UID:bench-{seed}-{number:07d}@almanac.example",
            f"DTSTAMP:{dtstamp}",
        ]
        if all_day:
            lines += [
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            ]
        else:
            start = datetime.combine(day, datetime.min.time()).replace(
                hour=rng.randint(9, 21), minute=rng.choice((0, 15, 30, 45))
            )
            end = start + timedelta(minutes=rng.choice((60, 90, 120, 180)))
            lines += [
                f"DTSTART;TZID={ZONE}:{start:%Y%m%dT%H%M%S}",
                f"DTEND;TZID={ZONE}:{end:%Y%m%dT%H%M%S}",
            ]
        if weekly:
            lines.append("RRULE:FREQ=WEEKLY;COUNT=10")
        description = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40)))
        lines += [
            f"SUMMARY:{title} #{number}",
            f"DESCRIPTION:{_escape(description.capitalize() + '. Tickets at the door.')}",
            f"LOCATION:{_escape(rng.choice(VENUES))}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def _fold(line: str) -> str:
    """Fold at 75 octets, as RFC 5545 asks (the text here is ASCII)."""
    if len(line) <= 75:
        return line
    parts = [line[:75]]
    rest = line[75:]
    while rest:
        parts.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(parts)
