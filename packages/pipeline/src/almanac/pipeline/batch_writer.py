"""Storing a feed's events while the rest of it is still being read.

A large feed is parsed a batch at a time. Each batch goes through two threads:
one hashes the events the source is not known to have, and the other stores
the new events at once, so that PostgreSQL takes in one batch while Python
hashes the next and reads the one after. Stored events whose input differs
wait for `finish`, which knows whether the run is suspect. Everything happens
in the session's one transaction: the caller commits or rolls back, so a
crash leaves the old state or the new one, never a mix.

The session belongs to the storing thread between the first `put` and
`finish` (or `close`): the caller must not use it meanwhile.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Container, Iterable
from dataclasses import dataclass

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
from almanac.db.hashing import EventHashes, event_hashes

QUEUED_BATCHES = 2
"""Batches read but not yet hashed: the reading stays at most this far ahead."""
_DONE: list[EventIn] = []


@dataclass(frozen=True, slots=True)
class _Hashed:
    """A batch's events first found by this run, and the hashes computed ahead."""

    fresh: list[EventIn]
    hashed: dict[str, EventHashes]


_HASHED_DONE = _Hashed([], {})


class BatchWriter:
    """Stores the batches of one feed of a source on a thread, then settles the rest."""

    def __init__(
        self,
        session: Session,
        source_id: int,
        feed_id: int | None = None,
        *,
        stored_ids: Container[str] | None = None,
    ) -> None:
        """`stored_ids` are the external ids the source has stored, when known: the
        events outside them are hashed ahead of their storing, on a thread of their own."""
        self._session = session
        self._source_id = source_id
        self._feed_id = feed_id
        self._stored_ids = stored_ids
        self._queue: queue.Queue[list[EventIn]] = queue.Queue(maxsize=QUEUED_BATCHES)
        self._hashed: queue.Queue[_Hashed] = queue.Queue(maxsize=1)
        self._unchanged_cancelled = 0
        self._threads: list[threading.Thread] = []
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

    def put(
        self,
        events: list[EventIn],
        unchanged: Iterable[tuple[str, int]] = (),
        unchanged_cancelled: int = 0,
    ) -> None:
        """Hand on a batch; raises what stopped the thread, if anything did.

        `unchanged` are the external ids and sequences of events found as they
        are stored, which need no writing; `unchanged_cancelled` counts their
        cancelled occurrences. They are counted as found, and as unchanged.
        """
        for external_id, sequence in unchanged:
            known = self._sequences.get(external_id)
            if known is None or sequence > known:
                self._sequences[external_id] = sequence
        self._unchanged_cancelled += unchanged_cancelled
        if not events:
            self._raise_error()
            return
        if not self._threads:
            self._threads = [
                threading.Thread(target=self._hash, name="almanac-hasher", daemon=True),
                threading.Thread(target=self._store, name="almanac-writer", daemon=True),
            ]
            for thread in self._threads:
                thread.start()
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
        counts.cancelled += self._unchanged_cancelled
        counts.found = len(self._sequences)
        counts.unchanged = max(0, counts.found - counts.created - counts.updated)
        return counts

    def close(self, *, discard: bool = False) -> None:
        """Stop the thread once it has stored what it was given, or at once with
        `discard` (the run failed and is rolled back); safe to call twice."""
        self._discarding = self._discarding or discard
        if self._threads:
            self._queue.put(_DONE)
            for thread in self._threads:
                thread.join()
            self._threads = []

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _hash(self) -> None:
        """First thread: keep the latest version of each event, and hash those the
        source is not known to have."""
        try:
            while (events := self._queue.get()) is not _DONE:
                if self._error is None and not self._discarding:
                    try:
                        self._hashed.put(self._sorted(events))
                    except BaseException as exc:  # re-raised in the caller's thread
                        self._error = exc
        finally:
            self._hashed.put(_HASHED_DONE)

    def _sorted(self, events: list[EventIn]) -> _Hashed:
        fresh: list[EventIn] = []
        for event in latest_versions(events):
            known = self._sequences.get(event.external_id)
            if known is None:
                self._sequences[event.external_id] = event.sequence
                fresh.append(event)
            elif event.sequence >= known:
                # A later version of an event already stored by this run: it
                # replaces it once every batch is in.
                self._sequences[event.external_id] = event.sequence
                self._late.append(event)
        stored = self._stored_ids
        hashed = {}
        if stored is not None:
            hashed = {e.external_id: event_hashes(e) for e in fresh if e.external_id not in stored}
        return _Hashed(fresh, hashed)

    def _store(self) -> None:
        """Second thread: store the new events of each batch."""
        while (batch := self._hashed.get()) is not _HASHED_DONE:
            if self._error is None and not self._discarding:
                try:
                    self._write(batch)
                except BaseException as exc:  # re-raised in the caller's thread
                    self._error = exc

    def _write(self, batch: _Hashed) -> None:
        found = sort_found(self._session, self._source_id, batch.fresh)
        self._counts.cancelled += found.cancelled
        self._counts.created += insert_new_events(
            self._session, self._source_id, self._feed_id, found.new, batch.hashed
        )
        self._differing.extend(found.differing)
