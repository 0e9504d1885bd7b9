"""Parsing a large iCalendar feed in a process of its own, beside the one that stores it.

Reading a feed is pure Python and holds the interpreter; storing it is mostly
waiting for PostgreSQL. In one process the two take turns, and the storing
adds its own Python work to the parse. A large body is therefore parsed in a
forked child that writes its batches back through a pipe while this process
stores them: on two cores the run takes little longer than the parse.

When the source has stored events, the child is also handed their input
hashes (inherited by the fork too) and sends back only the events whose input
differs, with the ids and sequences of the others: a feed read again over a
moved window costs the parse, not the pickling of every event.

The child only parses and compares. It shares nothing with the parent but the body (which
it inherits by the fork) and the pipe, and leaves with `os._exit`, so nothing
the parent owns (database connections, the worker's handlers) is touched. A
child that dies ends the pipe, which the parent reads as an error, not a wait;
a parent that goes away breaks the pipe, and the child stops. The fork is a
plain `os.fork`: a Celery worker's pool processes may not start
`multiprocessing` children.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import pickle
import signal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Final

from almanac.core.domain import EventIn, ParseProblem
from almanac.core.errors import ParseError
from almanac.db.found_events import cancelled_occurrences, input_unchanged, latest_versions
from almanac.db.hashing import input_hash
from almanac.db.stored_events import StoredInput
from almanac.scrapers import ical
from almanac.scrapers.context import ParseContext

CHILD_GC_THRESHOLDS: Final = (100_000, 50, 1000)
"""The parsing child's garbage collection thresholds (Python's are 700, 10, 10)."""
PIPE_BYTES: Final = 1024 * 1024
"""The pipe's buffer: the child writes a few batches ahead before it waits."""


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """A batch of a feed: the events to store, and those found as stored.

    `unchanged` holds the external id and SEQUENCE of each event whose input
    is the one stored (and not removed); `unchanged_cancelled` counts their
    cancelled occurrences. An external id appears in one batch only.
    """

    events: list[EventIn]
    unchanged: list[tuple[str, int]] = field(default_factory=list)
    unchanged_cancelled: int = 0


@dataclass(frozen=True, slots=True)
class _Batch:
    batch: ParsedBatch
    problems: list[ParseProblem]


@dataclass(frozen=True, slots=True)
class _Failed:
    message: str
    parse_error: bool


@dataclass(frozen=True, slots=True)
class _Done:
    problems: list[ParseProblem]


_Message = _Batch | _Failed | _Done


def parse_feed_batches(
    body: bytes,
    url: str,
    context: ParseContext,
    problems: list[ParseProblem],
    *,
    min_bytes: int,
    stored: Mapping[str, StoredInput] | None = None,
) -> Iterator[ParsedBatch]:
    """`ical.parse_batches`, in a child process when the body has `min_bytes` or more
    (`ALMANAC_FEED_PARSE_APART_BYTES`; smaller bodies parse faster than a process starts).

    The events, the problems and a `ParseError` come out as they would in
    place; there, with `stored` (the source's events' input hashes), the
    events whose input is unchanged come as ids only. Closing the iterator
    early stops the child.
    """
    if len(body) < min_bytes:
        for events in ical.parse_batches(body, url, context, problems):
            yield ParsedBatch(events)
        return
    pid, pipe = _fork_parser(body, url, context, stored or {})
    finished = False
    try:
        while True:
            message = _receive(pipe, pid)
            if isinstance(message, _Batch):
                problems.extend(message.problems)
                yield message.batch
            elif isinstance(message, _Done):
                problems.extend(message.problems)
                finished = True
                return
            elif message.parse_error:
                finished = True
                raise ParseError(message.message)
            else:
                finished = True
                raise RuntimeError(f"the feed parser failed: {message.message}")
    finally:
        pipe.close()
        _reap(pid, kill=not finished)


def _fork_parser(
    body: bytes, url: str, context: ParseContext, stored: Mapping[str, StoredInput]
) -> tuple[int, BinaryIO]:
    read_end, write_end = os.pipe()
    with contextlib.suppress(OSError):  # a larger buffer is a nicety, not a need
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child leaves through os._exit
        # Objects the child inherits are left out of its garbage collections, which
        # would otherwise touch, and so copy, every page of the parent's heap. Frozen
        # in the child, not the parent: the parent's own frozen objects (a forking
        # worker's, shared with its other processes) stay frozen.
        gc.freeze()
        os.close(read_end)
        _child(body, url, context, stored, write_end)
    os.close(write_end)
    return pid, os.fdopen(read_end, "rb")


def _receive(pipe: BinaryIO, pid: int) -> _Message:
    try:
        message: _Message = pickle.load(pipe)  # noqa: S301 - written by our own child
    except EOFError:
        code = _reap(pid, kill=False)
        raise RuntimeError(
            f"the feed parser process ended without finishing (exit status {code})"
        ) from None
    return message


def _reap(pid: int, *, kill: bool) -> int | None:
    """Wait for the child (killing it first if asked); its exit status, if known."""
    if kill:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # reaped by someone else's handler
        return None
    return os.waitstatus_to_exitcode(status)


def _child(
    body: bytes, url: str, context: ParseContext, stored: Mapping[str, StoredInput], write_end: int
) -> None:
    """Parse and write every batch to the pipe, then leave without running any of
    the parent's exit handlers."""
    code = 0
    try:
        # The worker's own handlers (graceful shutdown and the like) are not the child's.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # A parse makes millions of objects and almost no cycles: collecting them
        # 140 times as rarely as Python would saves the parse about a twentieth, and
        # still bounds what cycles there are (the child ends with its feed anyway).
        gc.set_threshold(*CHILD_GC_THRESHOLDS)
        with os.fdopen(write_end, "wb") as pipe:
            _parse_into(pipe, body, url, context, stored)
    except BaseException:  # the parent is gone, or the pipe broke: nothing to tell
        code = 1
    finally:
        os._exit(code)


def _parse_into(
    pipe: BinaryIO,
    body: bytes,
    url: str,
    context: ParseContext,
    stored: Mapping[str, StoredInput],
) -> None:
    problems: list[ParseProblem] = []
    message: _Message
    try:
        for events in ical.parse_batches(body, url, context, problems):
            _send(pipe, _Batch(_compared(events, stored), problems[:]))
            problems.clear()
        message = _Done(problems)
    except ParseError as exc:
        message = _Failed(str(exc), parse_error=True)
    except Exception as exc:  # any other failure is the parent's to report
        message = _Failed(f"{type(exc).__name__}: {exc}", parse_error=False)
    _send(pipe, message)


def _send(pipe: BinaryIO, message: _Message) -> None:
    pickle.dump(message, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.flush()


def _compared(events: list[EventIn], stored: Mapping[str, StoredInput]) -> ParsedBatch:
    """The batch, with the events whose input is the one stored set apart as ids."""
    if not stored:
        return ParsedBatch(events)
    batch = ParsedBatch([])
    cancelled = 0
    for event in latest_versions(events):
        known = stored.get(event.external_id)
        if known is not None and input_unchanged(input_hash(event), *known):
            batch.unchanged.append((event.external_id, event.sequence))
            cancelled += cancelled_occurrences(event)
        else:
            batch.events.append(event)
    return ParsedBatch(batch.events, batch.unchanged, cancelled)
