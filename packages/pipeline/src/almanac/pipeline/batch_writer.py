"""Storing a feed's events while the rest of it is still being read.

A large feed is parsed a batch at a time. Each batch is handed to a thread of
its own that stores its new events at once, so that PostgreSQL takes them in
on the other core while Python reads the next batch. Stored events whose input
differs wait for `finish`, which knows whether the run is suspect. Everything
happens in the session's one transaction: the caller commits or rolls back,
so a crash leaves the old state or the new one, never a mix.

The session belongs to the thread between the first `put` and `finish` (or
`close`): the caller must not use it meanwhile.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable

from sqlalchemy.orm import Session

from almanac.core.domain import EventIn
from almanac.db.event_writes import (
    Differing,
    WriteCounts,
    WritePlan,
    insert_new_events,
    latest_versions,
    sort_found,
    write_differing,
    write_events,
)

QUEUED_BATCHES = 2
"""Batches read but not yet stored: the reading stays at most this far ahead."""
_DONE: list[EventIn] = []


class BatchWriter:
    """Stores the batches of one feed of a source on a thread, then settles the rest."""

    def __init__(self, session: Session, source_id: int, feed_id: int | None = None) -> None:
        self._session = session
        self._source_id = source_id
        self._feed_id = feed_id
        self._queue: queue.Queue[list[EventIn]] = queue.Queue(maxsize=QUEUED_BATCHES)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._sequences: dict[str, int] = {}
        self._late: list[EventIn] = []
        self._differing: list[Differing] = []
        self._counts = WriteCounts()
        self._discarding = False

    @property
    def external_ids(self) -> list[str]:
        """Every external id found so far, once each."""
        return list(self._sequences)

    @property
    def found(self) -> int:
        return len(self._sequences)

    def put(self, events: list[EventIn]) -> None:
        """Hand on a batch; raises what stopped the thread, if anything did."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="almanac-writer", daemon=True)
            self._thread.start()
        self._raise_error()
        self._queue.put(events)

    def finish(self, plan: WritePlan) -> WriteCounts:
        """Wait for the batches handed on, then write the events stored before that
        changed, as `plan` says; returns the counts of the whole feed."""
        self.close()
        self._raise_error()
        counts = self._counts
        replaced = {event.external_id for event in self._late}
        differing = [d for d in self._differing if d[0].external_id not in replaced]
        counts.updated += write_differing(self._session, differing, plan)
        if self._late:
            # An event created by this run and replaced by a later version
            # counts as created and updated.
            late = write_events(self._session, self._source_id, latest_versions(self._late), plan)
            counts.updated += late.updated
        counts.found = len(self._sequences)
        counts.unchanged = max(0, counts.found - counts.created - counts.updated)
        return counts

    def close(self, *, discard: bool = False) -> None:
        """Stop the thread once it has stored what it was given, or at once with
        `discard` (the run failed and is rolled back); safe to call twice."""
        self._discarding = self._discarding or discard
        if self._thread is not None:
            self._queue.put(_DONE)
            self._thread.join()
            self._thread = None

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (events := self._queue.get()) is not _DONE:
            if self._error is None and not self._discarding:
                try:
                    self._store(events)
                except BaseException as exc:  # re-raised in the caller's thread
                    self._error = exc

    def _store(self, events: Iterable[EventIn]) -> None:
        fresh: list[EventIn] = []
        for event in latest_versions(list(events)):
            known = self._sequences.get(event.external_id)
            if known is None:
                self._sequences[event.external_id] = event.sequence
                fresh.append(event)
            elif event.sequence >= known:
                # A later version of an event already stored by this run: it
                # replaces it once every batch is in.
                self._sequences[event.external_id] = event.sequence
                self._late.append(event)
        found = sort_found(self._session, self._source_id, fresh)
        self._counts.cancelled += found.cancelled
        self._counts.created += insert_new_events(
            self._session, self._source_id, self._feed_id, found.new
        )
        self._differing.extend(found.differing)
