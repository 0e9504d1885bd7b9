"""What the fault suite tried and how Almanac held: counted as the tests run, printed
as one line at the end of the session and written as JSON for the README's figures.

The JSON goes to `$ALMANAC_FAULT_FIGURES` if set, else `fault-figures.json` in the
session's temporary directory.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

FIGURES: Counter[str] = Counter()
"""faults_injected and faults_survived (hostile servers and broken services),
inputs_tried (hostile values and URLs sent to the API), requests_refused (without a
key, with a wrong one, or leading inside), ssrf_refused, secrets_checked, cases_run,
cases_fuzzed (generated inputs), and the load test's figures (load_*, api_*)."""


def count(name: str, amount: int = 1) -> None:
    FIGURES[name] += amount


def summary() -> str:
    return "fault suite figures: " + ", ".join(f"{k}={v}" for k, v in sorted(FIGURES.items()))


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(FIGURES.items())), indent=2) + "\n")
