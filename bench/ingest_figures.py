"""The main feed: parse only, first ingest, the re-ingests and the 304.

The machine's speed drifts from one second to the next, so each ingest that
is compared with parsing alone runs right after a parse-only run of its own,
and the pair whose ratio is the median is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from almanac.scrapers.context import ParseContext
from almanac.scrapers.ical import parse
from bench import feed
from bench.measure import Pairs, Summary, Timings, repeated, timed
from bench.output import Figure
from bench.plan import NOW
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
    parse_only = ParseOnly(run, body, url)
    first, slug = _first_ingest(run, url, parse_only)
    _reingest_unchanged(run, slug, first)
    last_day = _reingest_moved_window(run, slug, parse_only)
    _not_modified(run, slug, body, last_day)
    _reingest_new_dtstamp(run, slug, parse_only, last_day + timedelta(days=1))


@dataclass
class ParseOnly:
    """The baseline: `ical.parse` of the main feed's bytes, no database, run on demand."""

    run: BenchRun
    body: bytes
    url: str
    timings: Timings = field(default_factory=Timings)
    occurrences: int = 0

    def sample(self) -> float:
        settings, events = self.run.settings, self.run.plan.events
        context = ParseContext.around(
            NOW, ZoneInfo(settings.timezone), settings.past_days, settings.horizon_days
        )
        seconds, result = timed(partial(parse, self.body, self.url, context))
        if not result.events:
            raise BenchError(f"parse found none of the {events} events: {result.problems[:3]}")
        if not self.timings.seconds and (len(result.events) != events or result.problems):
            self.run.warn(
                f"parse found {len(result.events)} of {events} events, "
                f"{len(result.problems)} problems, e.g. {result.problems[:1]}"
            )
        self.occurrences = sum(len(e.occurrences) for e in result.events)
        self.timings.seconds.append(seconds)
        self.run.say(f"parse only: {seconds:.2f}s, {self.occurrences} occurrences")
        return seconds

    @property
    def note(self) -> str:
        return f"best of {len(self.timings.seconds)} parse-only runs, each just before an ingest"


def _first_ingest(run: BenchRun, url: str, parse_only: ParseOnly) -> tuple[Timings, str]:
    events, runs = run.plan.events, run.plan.ingest_runs
    first, pairs, slug, statements = Timings(), Pairs(), "", 0
    for number in range(runs):
        baseline = parse_only.sample()
        with run.counter.counting() as counter:
            timings, slug = run.first_ingests(url, f"first {number + 1}/{runs}", events, 1)
        first.seconds.extend(timings.seconds)
        pairs.add(baseline, timings.best)
        statements = max(statements, counter.count)
    run.emit(
        Figure(
            "ical.parse_only.events_per_s",
            events / parse_only.timings.best,
            "events/s",
            events=events,
            note=f"{parse_only.note}; ical.parse of the bytes, "
            f"{parse_only.occurrences} occurrences, no database",
        )
    )
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
    value, baseline = pairs.median()
    run.emit(
        Figure(
            "ical.first_ingest.vs_parse_only",
            value,
            "s",
            baseline=baseline,
            target="<= 1.3",
            events=events,
            note=f"first ingest vs parse only: {pairs.note}",
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


def _reingest_moved_window(run: BenchRun, slug: str, parse_only: ParseOnly) -> datetime:
    """Runs on the days after the first ingest: each moves the window a day, and only
    the first run of a day does (later ones find the body read). Returns the last day."""
    pairs, updated, statuses, day = Pairs(), 0, set[str](), NOW
    for _ in range(run.plan.moved_runs):
        day += timedelta(days=1)
        baseline = parse_only.sample()
        seconds, summary = timed(partial(run.ingest, slug, day))
        run.say(f"re-ingest, window moved to {day.date()}: {summary.status}, {seconds:.2f}s")
        pairs.add(baseline, seconds)
        updated = max(updated, summary.counts.updated)
        statuses.add(str(summary.status))
    value, baseline = pairs.median()
    run.emit(
        Figure(
            "ical.reingest_moved_window.vs_parse_only",
            value,
            "s",
            baseline=baseline,
            target="<= 1.1",
            events=run.plan.events,
            note=f"runs each a day later vs parse only: {pairs.note}; "
            f"run status {', '.join(sorted(statuses))}",
        )
    )
    run.emit(Figure("ical.reingest_moved_window.rows_updated", updated, "rows", target="== 0"))
    return day


def _not_modified(run: BenchRun, slug: str, body: bytes, day: datetime) -> None:
    run.server.serve(MAIN, body, etag=True)
    expect_status(run.ingest(slug, day), "not_modified")  # learns the ETag
    timings, summaries = repeated(
        partial(run.ingest, slug, day), 2 * run.plan.cheap_runs, CHEAP_BUDGET
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


def _reingest_new_dtstamp(run: BenchRun, slug: str, parse_only: ParseOnly, day: datetime) -> None:
    """The same events in a body whose DTSTAMPs changed, as many servers regenerate them."""
    events = run.plan.events
    run.server.serve(MAIN, feed.generate(events, NOW, stamp=REGENERATED_STAMP), etag=False)
    baseline = parse_only.sample()
    seconds, summary = timed(partial(run.ingest, slug, day))
    run.say(f"re-ingest, new DTSTAMPs, window moved a day: {summary.status}, {seconds:.2f}s")
    run.emit(
        Figure(
            "ical.reingest_new_dtstamp.vs_parse_only",
            seconds,
            "s",
            baseline=baseline,
            target="<= 1.1",
            events=events,
            note="one run, right after its own parse-only run; only DTSTAMP differs, "
            f"window moved a day; run status {summary.status}",
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
