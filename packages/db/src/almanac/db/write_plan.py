"""What a run knows besides the events it writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from almanac.db.window import Window


@dataclass(frozen=True, slots=True)
class WritePlan:
    """What a run knows besides its events.

    `window` is the span the parse covered and `stored_window` the one the
    stored occurrences were expanded over (None if unknown): occurrences
    that only appear because the window moved do not make an event updated.
    With `remove_missing` false (a suspect run) nothing is marked removed.
    """

    window: Window
    now: datetime
    stored_window: Window | None = None
    remove_missing: bool = True
    feed_id: int | None = None
