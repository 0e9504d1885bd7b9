"""Splitting an iCalendar text into calendars and components, without parsing them.

Splitting is cheap string work; it lets the parser give each event group its
own chance (a broken VEVENT or VTIMEZONE fails alone) and parse a large feed in
batches of events rather than all at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r|$)")
_FOLD = re.compile(r"\r?\n[ \t]|\r[ \t]")
_UID = re.compile(r"^UID(?:;[^:\r\n]*)?:(.*)$", re.MULTILINE | re.IGNORECASE)
_IDENTITY = re.compile(
    r"^(DTSTART|SUMMARY|LOCATION|RECURRENCE-ID)(?:;[^:\r\n]*)?:(.*)$",
    re.MULTILINE | re.IGNORECASE,
)


@dataclass(slots=True)
class EventGroup:
    """The VEVENTs that share one UID: a master and its overrides, or duplicates."""

    uid: str
    blocks: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CalendarText:
    """One VCALENDAR: its own properties, its VTIMEZONEs and its VEVENTs by UID."""

    properties: list[str] = field(default_factory=list)
    timezones: list[str] = field(default_factory=list)
    groups: dict[str, EventGroup] = field(default_factory=dict)

    def text(self, timezones: list[str], groups: list[EventGroup]) -> str:
        """A VCALENDAR with these time zones and event groups."""
        parts = ["BEGIN:VCALENDAR\r\n", *self.properties, *timezones]
        for group in groups:
            parts.extend(group.blocks)
        parts.append("END:VCALENDAR\r\n")
        return "".join(parts)


def unfold(text: str) -> str:
    return _FOLD.sub("", text)


def split_calendars(text: str) -> list[CalendarText]:
    """Every VCALENDAR in `text`.

    Only VEVENTs and VTIMEZONEs are kept; VALARMs inside events are dropped.
    """
    calendars: list[CalendarText] = []
    current: CalendarText | None = None
    block: list[str] = []
    block_name: str | None = None
    depth = 0
    derived: dict[str, int] = {}
    in_alarm = False
    for line in _lines(text):
        if not line.strip("\r\n"):
            continue  # blank lines are not content; unfolding must not see them
        upper = line[:20].upper()
        if current is None:
            if upper.startswith("BEGIN:VCALENDAR"):
                current = CalendarText()
            continue
        if block_name is not None:
            # Alarms are the subscriber's business, and a broken one must not cost the event.
            if in_alarm or upper.startswith("BEGIN:VALARM"):
                in_alarm = not upper.startswith("END:VALARM")
                continue
            block.append(line)
            if upper.startswith("BEGIN:"):
                depth += 1
            elif upper.startswith("END:"):
                depth -= 1
                if depth == 0:
                    _finish(current, block_name, "".join(block), derived)
                    block, block_name = [], None
            continue
        if upper.startswith("END:VCALENDAR"):
            calendars.append(current)
            current = None
        elif upper.startswith("BEGIN:"):
            block_name = line.strip()[6:].upper()
            block, depth = [line], 1
        elif line.strip():
            current.properties.append(line)
    if current is not None:
        if block_name is not None:
            _finish(current, block_name, "".join([*block, f"END:{block_name}\r\n"]), derived)
        calendars.append(current)
    return calendars


def _lines(text: str) -> Iterator[str]:
    for match in _LINE.finditer(text):
        line = match.group()
        if not line:
            return
        if not line.endswith(("\n", "\r")):
            line += "\r\n"
        yield line


def _finish(calendar: CalendarText, name: str, block: str, derived: dict[str, int]) -> None:
    if name == "VTIMEZONE":
        calendar.timezones.append(block)
    elif name == "VEVENT":
        uid, block = _uid_of(block, derived)
        calendar.groups.setdefault(uid, EventGroup(uid)).blocks.append(block)


def _plain_uid(block: str) -> str | None:
    """The UID of a block whose UID line is plain and unfolded (the usual case), cheaply."""
    for marker in ("\nUID:", "\nUID;"):
        at = block.find(marker)
        if at < 0:
            continue
        end = block.find("\n", at + 1)
        if end < 0 or block[end + 1 : end + 2] in (" ", "\t"):
            return None
        value = block[at + 1 : end].split(":", 1)[1].strip()
        return value or None
    return None


def _uid_of(block: str, derived: dict[str, int]) -> tuple[str, str]:
    """The block's UID; a block without one is given a stable one made from what it says."""
    plain = _plain_uid(block)
    if plain is not None:
        return plain, block
    unfolded = unfold(block)
    match = _UID.search(unfolded)
    if match and match.group(1).strip():
        return match.group(1).strip(), block
    identity = "\x1f".join(
        f"{m.group(1).upper()}:{m.group(2)}" for m in _IDENTITY.finditer(unfolded)
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:24]
    seen = derived.get(digest, 0)
    derived[digest] = seen + 1
    uid = f"almanac-{digest}" if not seen else f"almanac-{digest}-{seen + 1}"
    first_line_end = block.index("\n") + 1 if "\n" in block else len(block)
    return uid, block[:first_line_end] + f"UID:{uid}\r\n" + block[first_line_end:]
