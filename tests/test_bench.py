"""`python -m bench --quick` runs end to end and prints every figure as a JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FIGURES = {
    "ical.parse_only.events_per_s",
    "ical.first_ingest.events_per_s",
    "ical.first_ingest.vs_parse_only",
    "ical.reingest_unchanged.vs_first",
    "ical.reingest_moved_window.vs_parse_only",
    "ical.reingest_moved_window.rows_updated",
    "ical.not_modified.ms",
    "ical.peak_rss_mb",
    "ical.stmts_per_event",
    "ical.stmts_per_run",
    "ical.events_per_s.1k",
    "scrape.site200.vs_ideal",
    "scrape.sites50.vs_bound",
    "scrape.pages_per_s",
    "api.events.p50_ms",
    "api.events.p99_ms",
    "api.events.rps_vs_health",
    "api.events_ics.month_ms",
}
"""Every figure but the ones --quick leaves out (the 10k and 100k feeds, the full database).

In quick mode the scrape figures keep their names but read a 40-page site and 5 sites of 8,
and the API figures read ten thousand occurrences and a month of 500.
"""


@pytest.mark.timeout(240)
def test_the_quick_bench_prints_every_figure_as_json() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=230,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    figures = {}
    for line in done.stdout.splitlines():
        figure = json.loads(line)
        assert isinstance(figure["name"], str), line
        assert isinstance(figure["value"], int | float), line
        assert isinstance(figure["unit"], str), line
        if "baseline" in figure:
            assert isinstance(figure["ratio"], int | float), line
        if "target" in figure:
            assert isinstance(figure["ok"], bool), line
        figures[figure["name"]] = figure
    assert not FIGURES - figures.keys(), FIGURES - figures.keys()
    assert "bench: dropped almanac_bench_" in done.stderr
