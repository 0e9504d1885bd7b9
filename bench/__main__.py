"""`python -m bench [--quick]`: the benchmark of ingestion, web scraping and the API.

Prints one JSON object per figure on stdout; progress goes to stderr. It makes
its own database and Redis db, serves its feeds and web sites from local HTTP
servers, starts its own workers, and removes all of them when it ends.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.environment import bench_environment
from bench.output import say
from bench.plan import FULL, QUICK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test: a 300-event feed, no 100k feed, no preloaded database, "
        "a 40-page site and 5 sites of 8 pages, and the API over 10k occurrences",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.monotonic()
    with bench_environment() as env:
        # Almanac's modules read the settings once: import them only now.
        from bench.api_figures import measure_api
        from bench.ingest_figures import measure_main_feed
        from bench.runner import BenchError, BenchRun
        from bench.scale_figures import (
            measure_full_database,
            measure_large_feed,
            measure_small_feed,
            measure_worker_memory,
        )
        from bench.scrape_figures import measure_web_sites

        run = BenchRun.start(plan, env.workdir)
        try:
            measure_main_feed(run)
            measure_small_feed(run)
            measure_worker_memory(run)
            measure_web_sites(run)
            measure_large_feed(run)
            measure_full_database(run)
            measure_api(run)
        except BenchError as exc:
            say(f"stopped: {exc}")
            return 1
        finally:
            run.stop()
    failed = [f.name for f in run.figures.values() if f.ok is False]
    say(f"done in {time.monotonic() - started:.0f}s; off target: {', '.join(failed) or 'none'}")
    for warning in run.warnings:
        say(f"warning: {warning}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
