"""`python -m demo`: Almanac's demo, as `make demo` runs it; `python -m demo site`: its site."""

from __future__ import annotations

import argparse
import sys
import threading

from demo import runner
from demo.site_server import DemoSite


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument(
        "what",
        nargs="?",
        choices=("run", "site"),
        default="run",
        help="run: the whole demo (default); site: only the demo site",
    )
    parser.add_argument(
        "--port",
        type=int,
        help=f"the demo site's port (default DEMO_PORT, else {runner.DEFAULT_SITE_PORT})",
    )
    args = parser.parse_args()
    if args.what == "site":
        port = runner.site_port(args.port)
        site = DemoSite(port).start()
        print(f"Demo site at {site.base}/ (Ctrl-C stops it)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            site.stop()
        return 0
    return runner.main(args.port)


if __name__ == "__main__":
    sys.exit(main())
