"""`make demo`: the demo site, its sources, Almanac's processes and a first scrape.

The run takes its database and Redis from the environment (`make demo` gives
it a database of its own), starts the demo site on `DEMO_PORT`, migrates the
database, imports `demo/sources.yaml` pointed at the site, runs the Procfile
with honcho as `make dev` does, scrapes every source once a worker answers,
and says where to look. SIGINT (Ctrl-C) or SIGTERM stops everything it
started, by PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import httpx

from almanac.core.errors import AlmanacError
from almanac.core.settings import get_settings
from demo.site_server import DemoSite
from demo.templates import render, site_today

ROOT = Path(__file__).resolve().parent.parent
SOURCES = Path(__file__).resolve().parent / "sources.yaml"
BIN = Path(sys.executable).parent
DEFAULT_SITE_PORT = 8800
STARTUP_TIMEOUT_SECONDS = 90.0
SCRAPE_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 20.0

# Only for the demo's own processes: its site lives on 127.0.0.1 and answers at once.
DEMO_ENVIRONMENT = {
    "ALMANAC_ALLOW_PRIVATE_NETWORKS": "true",
    "ALMANAC_HOST_MIN_INTERVAL_SECONDS": "0.1",
}


class Stop(Exception):
    """SIGTERM, taken like Ctrl-C."""


class DemoRun:
    def __init__(self, site_port: int) -> None:
        self.site_port = site_port
        # This process runs `almanac` commands itself, so it takes the demo's settings too.
        os.environ.update(DEMO_ENVIRONMENT)
        os.environ.setdefault("ALMANAC_BEAT_SCHEDULE_FILE", "var/demo-celerybeat-schedule")
        settings = get_settings()  # the environment, then .env, as every process reads them
        self.api_port, self.flower_port = settings.api_port, settings.flower_port
        self.flower_user = settings.flower_user
        self.env = dict(os.environ) | {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            # The Procfile's command lines read the ports from the environment.
            "ALMANAC_API_PORT": str(self.api_port),
            "ALMANAC_FLOWER_PORT": str(self.flower_port),
        }
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.site: DemoSite | None = None
        self.honcho: subprocess.Popen[bytes] | None = None

    def run(self) -> int:
        """Run until stopped; the exit code is honcho's, or 0 when stopped."""
        started = time.monotonic()
        try:
            self.site = DemoSite(self.site_port).start()
            say(f"Demo site at {self.site.base} (serving {ROOT / 'demo' / 'site'})")
            self.almanac("db", "wait")
            self.almanac("db", "upgrade")
            with self.sources_file() as sources:
                self.almanac("sources", "import", str(sources))
            self.honcho = self.start(
                "honcho", "start", "-f", str(ROOT / "Procfile"), "--env", os.devnull
            )
            self.wait_for_workers()
            timeout = str(int(SCRAPE_TIMEOUT_SECONDS))
            scraped = self.almanac("scrape", "--all", "--timeout", timeout, check=False) == 0
            self.print_where_to_look(scraped, time.monotonic() - started)
            return self.honcho.wait()
        except (KeyboardInterrupt, Stop):
            return 0
        finally:
            self.stop()

    @contextmanager
    def sources_file(self) -> Iterator[Path]:
        assert self.site is not None
        text = render(SOURCES.read_text(encoding="utf-8"), self.site.base, site_today())
        with tempfile.TemporaryDirectory(prefix="almanac-demo-") as folder:
            path = Path(folder) / "sources.yaml"
            path.write_text(text, encoding="utf-8")
            yield path

    def start(self, program: str, *args: str) -> subprocess.Popen[bytes]:
        # A session of its own, so that only this run decides when it stops.
        return subprocess.Popen(
            [str(BIN / program), *args], cwd=ROOT, env=self.env, start_new_session=True
        )

    def almanac(self, *args: str, check: bool = True) -> int:
        """Run an `almanac` command in this process (one start-up for them all); its exit code."""
        from almanac.worker.cli import app

        try:
            code = app(list(args), prog_name="almanac", standalone_mode=False) or 0
        except AlmanacError as exc:
            print(f"almanac: {exc}", file=sys.stderr, flush=True)
            code = 1
        if check and code != 0:
            raise SystemExit(f"demo: `almanac {' '.join(args)}` failed (exit code {code})")
        return int(code)

    def wait_for_workers(self) -> None:
        """Until the API answers and says a worker is up."""
        say("Waiting for the API and a worker…")
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.honcho is not None
            if self.honcho.poll() is not None:
                raise SystemExit("demo: a process of the Procfile stopped; see its lines above")
            if self._workers_up():
                return
            time.sleep(0.5)
        raise SystemExit(f"demo: no worker answered within {STARTUP_TIMEOUT_SECONDS:.0f}s")

    def _workers_up(self) -> bool:
        try:
            answer = httpx.get(f"{self.api}/health/ready", timeout=5)
            return bool(answer.json()["checks"]["workers"]["ok"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return False

    def print_where_to_look(self, scraped: bool, elapsed: float) -> None:
        assert self.site is not None
        outcome = (
            f"every demo source was scraped {elapsed:.0f}s after the start"
            if scraped
            else "some demo sources could not be scraped: `GET /sources` says why"
        )
        lines = [
            f"Almanac's demo is up: {outcome}.",
            f"  Events:         {self.api}/events",
            f"  API docs:       {self.api}/docs",
            f"  Sources:        {self.api}/sources",
            f"  Calendar feed:  {self.api}/events.ics",
            f"  Flower:         http://127.0.0.1:{self.flower_port}"
            f" (user {self.flower_user}, password ALMANAC_FLOWER_PASSWORD)",
            f"  The demo site:  {self.site.base}/",
            "Ctrl-C stops it all.",
        ]
        say("\n".join(lines))

    def stop(self) -> None:
        honcho = self.honcho
        if honcho is not None and honcho.poll() is None:
            honcho.send_signal(signal.SIGTERM)  # honcho stops each of its processes
            try:
                honcho.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(honcho.pid, signal.SIGKILL)
                honcho.wait()
        if self.site is not None:
            self.site.stop()
            self.site = None


def say(text: str) -> None:
    print(f"\n{text}\n", flush=True)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Stop


def site_port(asked: int | None = None) -> int:
    return asked or int(os.environ.get("DEMO_PORT", DEFAULT_SITE_PORT))


def main(port: int | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    return DemoRun(site_port(port)).run()
