"""The `scrape_source` use-case: fetch, parse, ingest and record one source."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import httpx
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.domain import LinkKind, ParseProblem, RunStatus, SourceKind, Trigger
from almanac.core.errors import FetchError, ParseError
from almanac.core.settings import Settings
from almanac.db.event_removals import remove_missing_events
from almanac.db.event_writes import WriteCounts, WritePlan, latest_versions, write_events
from almanac.db.hashing import body_hash
from almanac.db.models import Source
from almanac.db.source_queries import get_source
from almanac.db.stored_events import stored_inputs
from almanac.db.venue_resolution import resolve_venues, venues_made
from almanac.db.window import Window
from almanac.pipeline.batch_writer import BatchWriter
from almanac.pipeline.content_types import check_readable
from almanac.pipeline.crawl import crawl
from almanac.pipeline.feed_parsing import parse_feed_batches
from almanac.pipeline.feeds import FeedPart, read_feeds
from almanac.pipeline.fetch import FetchResult, make_client
from almanac.pipeline.health_gate import suspect_reason
from almanac.pipeline.polite_fetch import PoliteFetcher
from almanac.pipeline.runs import RunSummary, finish_run, start_run
from almanac.pipeline.sessions import unavailable_reason
from almanac.pipeline.window import read_frame
from almanac.scrapers.context import ParseContext
from almanac.scrapers.registry import Parser, parser_for

log = logging.getLogger("almanac.pipeline.scrape")


def scrape_source(
    sessions: sessionmaker[Session],
    settings: Settings,
    source_ref: str | int,
    *,
    trigger: Trigger = Trigger.SCHEDULE,
    task_id: str | None = None,
    client: httpx.Client | None = None,
    now: datetime | None = None,
) -> RunSummary:
    """Run one source end to end and return what happened.

    A missing source raises `SourceNotFound`. Every other failure is recorded
    in the run (status `failed`, with its reason) and returned, never raised.
    """
    started = time.monotonic()
    with sessions() as session:
        source = get_source(session, source_ref)
        run_id = start_run(session, source, trigger, task_id)
        session.commit()
        summary = RunSummary(run_id=run_id, source=source.slug, status=RunStatus.RUNNING)
        try:
            _fetch_parse_ingest(session, settings, source, summary, client, now)
            session.flush()  # every write of the run is sent here, where its failure is met
            summary.venues_made = venues_made(session)
        except (FetchError, ParseError) as exc:
            session.rollback()
            summary.status = RunStatus.FAILED
            summary.message = str(exc)
            summary.transient = getattr(exc, "transient", False)
        except Exception as exc:
            session.rollback()
            summary.status = RunStatus.FAILED
            if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                # The connection was lost mid-run: the task tries again later.
                summary.message = unavailable_reason(exc)
                summary.transient = True
            else:
                summary.message = f"unexpected error: {type(exc).__name__}: {exc}"
                log.exception("source=%s run=%s crashed", source.slug, run_id)
        summary.duration_seconds = round(time.monotonic() - started, 3)
        source = get_source(session, source.id)
        finish_run(session, source, summary)
        session.commit()
    _log_run(summary)
    return summary


def _fetch_parse_ingest(
    session: Session,
    settings: Settings,
    source: Source,
    summary: RunSummary,
    client: httpx.Client | None,
    now: datetime | None,
) -> None:
    parse = parser_for(source.kind)
    own = client is None
    http = client or make_client(settings)
    fetcher = PoliteFetcher(settings, http)
    try:
        _read_source(session, settings, source, summary, fetcher, parse, now)
    finally:
        summary.requests = fetcher.trace.requests
        summary.bytes = fetcher.trace.bytes
        summary.fetch_trace = fetcher.trace.as_dict()
        if own:
            http.close()


def _read_source(
    session: Session,
    settings: Settings,
    source: Source,
    summary: RunSummary,
    fetcher: PoliteFetcher,
    parse: Parser,
    now: datetime | None,
) -> None:
    now = now or datetime.now(UTC)
    window, context = read_frame(settings, source.timezone, source.config, now)
    # A 304 leaves nothing to expand: once the window has moved, ask for the whole body.
    same_window = _stored_window(source) == window
    response = fetcher.get(
        source.url,
        etag=source.etag if same_window else None,
        last_modified=source.last_modified if same_window else None,
    )
    if response.not_modified:
        summary.status = RunStatus.NOT_MODIFIED
        summary.message = "the server answered 304 Not Modified"
        return
    digest = body_hash(response.body)
    if _already_read(source, digest, window):
        summary.status = RunStatus.NOT_MODIFIED
        summary.message = "the body is the same as last time, and so is the window"
        _remember_fetch(source, response, digest)
        return
    if source.kind == SourceKind.ICAL:
        check_readable(response)
        trusted = _ingest_feed(session, settings, source, response, context, window, now, summary)
    else:
        parsed = crawl(fetcher, parse, response, context)
        feed_urls = [link.url for link in parsed.links if link.kind is LinkKind.FEED]
        feeds = read_feeds(session, fetcher, source.id, feed_urls, context)
        parts = [FeedPart(None, parsed.events), *feeds.parts]
        problems, kept = parsed.problems + feeds.problems, feeds.kept_external_ids
        summary.errors = [problem.as_dict() for problem in problems]
        trusted = _ingest(session, source, parts, kept, bool(problems), window, now, summary)
    if trusted:
        _remember_fetch(source, response, digest)
    else:
        _forget_fetch(source)


def _ingest_feed(
    session: Session,
    settings: Settings,
    source: Source,
    response: FetchResult,
    context: ParseContext,
    window: Window,
    now: datetime,
    summary: RunSummary,
) -> bool:
    """Read an iCalendar feed a batch at a time, each stored while the next is read."""
    problems: list[ParseProblem] = []
    apart = len(response.body) >= settings.feed_parse_apart_bytes
    # Parsed apart, the events whose input is the one stored come back as ids only.
    stored = stored_inputs(session, source.id) if apart and source.last_event_count else None
    # Events the source is not known to have are hashed ahead of their storing.
    stored_ids = frozenset[str]() if not source.last_event_count else stored
    writer = BatchWriter(session, source.id, stored_ids=stored_ids)
    batches = parse_feed_batches(
        response.body,
        response.url,
        context,
        problems,
        min_bytes=settings.feed_parse_apart_bytes,
        stored=stored,
    )
    try:
        for batch in batches:
            writer.put(batch.events, batch.unchanged, batch.unchanged_cancelled)
        writer.close()
    except BaseException:
        writer.close(discard=True)
        raise
    summary.errors = [problem.as_dict() for problem in problems]
    reason = suspect_reason(writer.found, source.last_good_event_count)
    plan = WritePlan(window, now, _stored_window(source), remove_missing=reason is None)
    summary.counts = writer.finish(plan)
    return _settle(
        session, source, writer.external_ids, reason, bool(problems), window, now, summary
    )


def _ingest(
    session: Session,
    source: Source,
    parts: list[FeedPart],
    kept_external_ids: list[str],
    had_problems: bool,
    window: Window,
    now: datetime,
    summary: RunSummary,
) -> bool:
    """Write what the run found; False if the run is suspect and its body not to be trusted.

    Only a complete, healthy run (no problems, not suspect) removes the
    upcoming events it no longer finds; a suspect run removes nothing. The
    events of feeds that had not changed, or could not be read, count as found.
    """
    batches = [(part.feed_id, latest_versions(part.events)) for part in parts]
    found = sum(len(events) for _, events in batches) + len(kept_external_ids)
    reason = suspect_reason(found, source.last_good_event_count)
    counts = WriteCounts()
    for feed_id, events in batches:
        plan = WritePlan(
            window, now, _stored_window(source), remove_missing=reason is None, feed_id=feed_id
        )
        _add_counts(counts, write_events(session, source.id, events, plan))
    counts.found += len(kept_external_ids)
    counts.unchanged += len(kept_external_ids)
    summary.counts = counts
    seen = [event.external_id for _, events in batches for event in events]
    return _settle(
        session, source, seen + kept_external_ids, reason, had_problems, window, now, summary
    )


def _settle(
    session: Session,
    source: Source,
    seen: list[str],
    reason: str | None,
    had_problems: bool,
    window: Window,
    now: datetime,
    summary: RunSummary,
) -> bool:
    """The run's status; a complete, healthy run also removes the upcoming events it
    did not find. False if the run is suspect and its body not to be trusted."""
    resolve_venues(session, source.id)
    source.parsed_window_start, source.parsed_window_end = window.start, window.end
    if reason is not None:
        summary.status = RunStatus.SUSPECT
        summary.message = reason
        return False
    if had_problems:
        summary.status = RunStatus.PARTIAL
        return True
    summary.status = RunStatus.OK
    summary.counts.removed = remove_missing_events(session, source.id, seen, window, now)
    return True


def _add_counts(total: WriteCounts, more: WriteCounts) -> None:
    for name in ("found", "created", "updated", "unchanged", "cancelled", "removed"):
        setattr(total, name, getattr(total, name) + getattr(more, name))


def _already_read(source: Source, digest: str, window: Window) -> bool:
    """The same body was read over the same window by the last run that read one."""
    return (
        digest == source.content_hash
        and source.last_status != RunStatus.FAILED
        and _stored_window(source) == window
    )


def _stored_window(source: Source) -> Window | None:
    if source.parsed_window_start is None or source.parsed_window_end is None:
        return None
    return Window(source.parsed_window_start, source.parsed_window_end)


def _remember_fetch(source: Source, response: FetchResult, digest: str) -> None:
    source.etag = response.etag
    source.last_modified = response.last_modified
    source.content_hash = digest


def _forget_fetch(source: Source) -> None:
    """A suspect body is not trusted: the next run fetches and reads the feed in full."""
    source.etag = None
    source.last_modified = None
    source.content_hash = None


def _log_run(summary: RunSummary) -> None:
    c = summary.counts
    troubled = summary.status in (RunStatus.FAILED, RunStatus.SUSPECT)
    log.log(
        logging.WARNING if troubled else logging.INFO,
        "source=%s run=%d status=%s found=%d created=%d updated=%d unchanged=%d cancelled=%d "
        "removed=%d new_venues=%d problems=%d requests=%d bytes=%d duration=%.2fs%s%s",
        summary.source,
        summary.run_id,
        summary.status,
        c.found,
        c.created,
        c.updated,
        c.unchanged,
        c.cancelled,
        c.removed,
        len(summary.venues_made),
        len(summary.errors),
        summary.requests,
        summary.bytes,
        summary.duration_seconds,
        f" reason={summary.message!r}" if troubled else "",
        _named(" venues=", summary.venues_made),
    )


def _named(label: str, slugs: list[str], shown: int = 5) -> str:
    """`label` and the first `shown` slugs, comma-separated; nothing for none."""
    if not slugs:
        return ""
    more = f",+{len(slugs) - shown} more" if len(slugs) > shown else ""
    return label + ",".join(slugs[:shown]) + more
