"""The main feed: parse only, first ingest, the re-ingests and the 304."""

from __future__ import annotations

from functools import partial
from zoneinfo import ZoneInfo

from almanac.scrapers.context import ParseContext
from almanac.scrapers.ical import parse
from bench import feed
from bench.measure import Summary, Timings, repeated, timed
from bench.output import Figure
from bench.plan import NEXT_DAY, NOW
from bench.runner import BenchError, BenchRun, expect_status

MAIN = "/feed.ics"
CHEAP_BUDGET = 3.0
"""Seconds after which a measurement that should be cheap stops repeating."""
REGENERATED_STAMP = "20261122T060000Z"


def measure_main_feed(run: BenchRun) -> None:
    events = run.plan.events
    body = feed.generate(events, NOW)
    run.say(f"main feed: {events} events, {len(body) / 1e6:.1f} MB")
    url = run.server.serve(MAIN, body, etag=False)
    parse_only = _parse_only(run, body, url)
    first, slug = _first_ingest(run, url, parse_only)
    _reingest_unchanged(run, slug, first)
    _reingest_moved_window(run, slug, parse_only)
    _not_modified(run, slug, body)
    _reingest_new_dtstamp(run, slug, parse_only)


def _parse_only(run: BenchRun, body: bytes, url: str) -> Timings:
    settings, events = run.settings, run.plan.events
    context = ParseContext.around(
        NOW, ZoneInfo(settings.timezone), settings.past_days, settings.horizon_days
    )
    timings, occurrences = Timings(), 0
    for number in range(run.plan.parse_runs):
        seconds, result = timed(partial(parse, body, url, context))
        if not result.events:
            raise BenchError(f"parse found none of the {events} events: {result.problems[:3]}")
        if number == 0 and (len(result.events) != events or result.problems):
            run.warn(
                f"parse found {len(result.events)} of {events} events, "
                f"{len(result.problems)} problems, e.g. {result.problems[:1]}"
            )
        occurrences = sum(len(e.occurrences) for e in result.events)
        timings.seconds.append(seconds)
        run.say(f"parse only: run {number + 1}, {seconds:.2f}s, {occurrences} occurrences")
        del result
    run.emit(
        Figure(
            "ical.parse_only.events_per_s",
            events / timings.best,
            "events/s",
            events=events,
            note=f"best of {len(timings.seconds)}; ical.parse of the bytes, "
            f"{occurrences} occurrences, no database",
        )
    )
    return timings


def _first_ingest(run: BenchRun, url: str, parse_only: Timings) -> tuple[Timings, str]:
    events, runs = run.plan.events, run.plan.ingest_runs
    with run.counter.counting() as counter:
        first, slug = run.first_ingests(url, "first", events, runs)
    statements = counter.count / runs
    note = f"best of {runs}, each a fresh source: fetch, parse, expand, write, commit"
    run.emit(
        Figure(
            "ical.first_ingest.events_per_s",
            events / first.best,
            "events/s",
            target=">= 1500",
            events=events,
            note=note,
        )
    )
    run.emit(
        Figure(
            "ical.first_ingest.vs_parse_only",
            first.best,
            "s",
            baseline=parse_only.best,
            target="<= 1.3",
            events=events,
            note="best first ingest vs best parse only",
        )
    )
    if events == 10_000:
        run.emit(Figure("ical.events_per_s.10k", events / first.best, "events/s", events=events))
    run.emit(Figure("ical.stmts_per_run", statements, "statements", events=events))
    run.emit(Figure("ical.stmts_per_event", statements / events, "statements/event", events=events))
    return first, slug


def _reingest_unchanged(run: BenchRun, slug: str, first: Timings) -> None:
    timings, summaries = repeated(partial(run.ingest, slug, NOW), run.plan.cheap_runs, CHEAP_BUDGET)
    run.say(f"re-ingest, same body and window: {_statuses(summaries)}")
    run.emit(
        Figure(
            "ical.reingest_unchanged.vs_first",
            timings.median,
            "s",
            baseline=first.best,
            target="<= 0.05",
            events=run.plan.events,
            note=f"median of {len(timings.seconds)}, body fetched (no ETag); "
            f"run status {_statuses(summaries)}",
        )
    )


def _reingest_moved_window(run: BenchRun, slug: str, parse_only: Timings) -> None:
    """One run: only the first run of a day moves the window; later ones find the body read."""
    seconds, summary = timed(partial(run.ingest, slug, NEXT_DAY))
    run.say(f"re-ingest, window moved a day: {summary.status}, {seconds:.2f}s")
    run.emit(
        Figure(
            "ical.reingest_moved_window.vs_parse_only",
            seconds,
            "s",
            baseline=parse_only.best,
            target="<= 1.1",
            events=run.plan.events,
            note=f"one run; run status {summary.status}",
        )
    )
    updated = summary.counts.updated
    run.emit(Figure("ical.reingest_moved_window.rows_updated", updated, "rows", target="== 0"))


def _not_modified(run: BenchRun, slug: str, body: bytes) -> None:
    run.server.serve(MAIN, body, etag=True)
    expect_status(run.ingest(slug, NEXT_DAY), "not_modified")  # learns the ETag
    timings, summaries = repeated(
        partial(run.ingest, slug, NEXT_DAY), 2 * run.plan.cheap_runs, CHEAP_BUDGET
    )
    for summary in summaries:
        expect_status(summary, "not_modified")
        if summary.bytes:
            raise BenchError(f"expected a 304 with no body, got {summary.bytes} bytes")
    run.say("304 runs (ms): " + " ".join(f"{s * 1000:.0f}" for s in timings.seconds))
    run.emit(
        Figure(
            "ical.not_modified.ms",
            timings.median * 1000,
            "ms",
            target="< 50",
            note=f"median of {len(timings.seconds)}; the server answered 304",
        )
    )


def _reingest_new_dtstamp(run: BenchRun, slug: str, parse_only: Timings) -> None:
    """The same events in a body whose DTSTAMPs changed, as many servers regenerate them."""
    events = run.plan.events
    run.server.serve(MAIN, feed.generate(events, NOW, stamp=REGENERATED_STAMP), etag=False)
    seconds, summary = timed(partial(run.ingest, slug, NEXT_DAY))
    run.say(f"re-ingest, new DTSTAMPs, window moved a day: {summary.status}, {seconds:.2f}s")
    run.emit(
        Figure(
            "ical.reingest_new_dtstamp.vs_parse_only",
            seconds,
            "s",
            baseline=parse_only.best,
            target="<= 1.1",
            events=events,
            note=f"one run; only DTSTAMP differs, window moved a day; run status {summary.status}",
        )
    )
    run.emit(
        Figure(
            "ical.reingest_new_dtstamp.rows_updated",
            summary.counts.updated,
            "rows",
            target="== 0",
        )
    )


def _statuses(summaries: list[Summary]) -> str:
    return ", ".join(sorted({str(s.status) for s in summaries}))
