"""What every measurement shares: the plan, the engine, the feed server, results so far."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from almanac.core.settings import Settings, get_settings
from almanac.db.engine import get_engine
from bench import feed
from bench.fixtures import new_source
from bench.measure import Ingest, StatementCounter, Summary, Timings, timed
from bench.output import Figure, emit, say
from bench.plan import NOW, Plan
from tests.support.http_server import LocalHTTPServer

BUDGET_SECONDS = 540.0
"""The whole run stays under ten minutes: the large feed gets what is left of this."""


class BenchError(RuntimeError):
    """A run did not do what the measurement needs (it failed, or found nothing)."""


@dataclass
class BenchRun:
    plan: Plan
    workdir: Path
    server: LocalHTTPServer
    settings: Settings
    engine: Engine
    counter: StatementCounter
    ingest: Ingest
    started: float = field(default_factory=time.monotonic)
    figures: dict[str, Figure] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, plan: Plan, workdir: Path) -> BenchRun:
        engine = get_engine()
        settings = get_settings()
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        return cls(
            plan=plan,
            workdir=workdir,
            server=LocalHTTPServer().start(),
            settings=settings,
            engine=engine,
            counter=StatementCounter(engine),
            ingest=Ingest(sessions, settings),
        )

    def stop(self) -> None:
        self.server.stop()

    def emit(self, figure: Figure) -> Figure:
        self.figures[figure.name] = figure
        emit(figure)
        return figure

    def say(self, message: str) -> None:
        say(f"[{time.monotonic() - self.started:6.1f}s] {message}")

    def remaining(self) -> float:
        return BUDGET_SECONDS - (time.monotonic() - self.started)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.say(f"WARNING: {message}")

    def serve_feed(self, path: str, events: int, anchor: datetime = NOW, **options: object) -> str:
        return self.server.serve(path, feed.generate(events, anchor), **options)

    def first_ingests(self, url: str, label: str, events: int, runs: int) -> tuple[Timings, str]:
        """`runs` first ingests of `url`, each into a source never fetched before.

        Returns their timings and the slug of the last source.
        """
        timings, slug = Timings(), ""
        for number in range(runs):
            slug = new_source(self.engine, url, label)
            seconds, summary = timed(partial(self.ingest, slug, NOW))
            self.check_first_ingest(summary, events)
            timings.seconds.append(seconds)
            done = f"run {number + 1}/{runs}, " if runs > 1 else ""
            self.say(f"{label}: {done}{events} events in {seconds:.2f}s")
        return timings, slug

    def check_first_ingest(self, summary: Summary, events: int) -> None:
        """A run that stored nothing measures nothing; one that skipped some is reported."""
        created = summary.counts.created
        if str(summary.status) not in ("ok", "partial") or created == 0:
            raise BenchError(
                f"a first ingest of {events} events ended {summary.status} "
                f"(created {created}): {summary.message}"
            )
        if str(summary.status) != "ok" or created != events:
            self.warn(
                f"a first ingest of {events} events ended {summary.status}, created {created}"
            )


def expect_status(summary: Summary, status: str) -> None:
    if str(summary.status) != status:
        raise BenchError(f"expected a {status} run, got {summary.status}: {summary.message}")
