"""One ingest in a process of its own, so its peak memory is its own.

`python -m bench.ingest_once SLUG NOW` runs `scrape_source` once with the
bench's environment (inherited) and prints one JSON object: the seconds it took,
the run's status and counts, and the process's peak RSS.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

from bench.measure import Ingest, peak_rss_mb, timed


def main(argv: list[str]) -> None:
    slug, now = argv[0], datetime.fromisoformat(argv[1])
    from sqlalchemy.orm import sessionmaker

    from almanac.core.settings import get_settings
    from almanac.db.engine import get_engine

    ingest = Ingest(sessionmaker(bind=get_engine(), expire_on_commit=False), get_settings())
    seconds, summary = timed(lambda: ingest(slug, now))
    report = {
        "seconds": seconds,
        "status": str(summary.status),
        "message": summary.message,
        "found": summary.counts.found,
        "created": summary.counts.created,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
