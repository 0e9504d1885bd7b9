"""Every command README.md shows is run here, as a user would run it, or named in
`NOT_RUN` with the test that runs it instead.

The commands are read from the README itself (its shell blocks and its inline
code), so a command added to the README fails this module until it runs here
or is listed with its reason. They run in a shell against one API, one worker
and beat started from the Procfile; the example sites the README names
(`https://owl.example/…`, the seed venues) are stood in for by the demo site
and a local HTTP server, which serve the pages those sources expect.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import Engine, text

from tests.support.api_keys import API_KEY
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import (
    BIN,
    ROOT,
    Process,
    free_port,
    procfile,
    start_from_procfile,
    wait_until,
)
from tests.support.readme import README, Command, expand, readme_commands, yaml_blocks
from tests.support.workers import FEED

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

README_API = "http://127.0.0.1:8000"

NOT_RUN: dict[str, tuple[str, str]] = {
    # command: (why it is not run here, the file whose test runs it or checks it)
    "make dev": (
        "runs the Procfile in the foreground until Ctrl-C; the end-to-end test starts "
        "the Procfile's processes and drives a source through them",
        "tests/test_end_to_end.py",
    ),
    "make demo": (
        "the demo's test runs what it runs (`python -m demo`) and stops it with Ctrl-C",
        "tests/test_demo.py",
    ),
    "make demo DEMO_PORT=9800 ALMANAC_API_PORT=9000 ALMANAC_FLOWER_PORT=9555 "
    "REDIS_URL=redis://127.0.0.1:6379/2": (
        "the demo's test runs `python -m demo` moved the same way: its own DEMO_PORT, "
        "ALMANAC_API_PORT, ALMANAC_FLOWER_PORT and Redis db",
        "tests/test_demo.py",
    ),
    "python -m demo": ("what `make demo` runs, run by the demo's test", "tests/test_demo.py"),
    "make test": ("the whole test suite, this module included", "Makefile"),
    "make lint": ("run by `make test` before the tests", "Makefile"),
    "make test-faults": (
        "the fault suite alone, which `make test` runs with every other test",
        "Makefile",
    ),
    "ruff check": ("`make lint`'s first step", "Makefile"),
    "ruff format --check": ("`make lint`'s second step", "Makefile"),
    "mypy": ("`make lint`'s last step", "Makefile"),
    "make up": (
        "needs a Docker engine; the compose file it starts is checked against the "
        "Procfile and the compose specification",
        "tests/test_compose.py",
    ),
    "make down": ("needs a Docker engine, as `make up` does", "tests/test_compose.py"),
    "docker compose stop": (
        "needs a Docker engine; what it sends a worker (SIGTERM, then the grace "
        "period) is sent to a real worker by the shutdown tests",
        "apps/worker/tests/test_worker_shutdown.py",
    ),
    "make migrate": (
        "its recipe is `almanac db wait` and `almanac db upgrade`, run here; the "
        "target itself writes `.env` in the checkout",
        "Makefile",
    ),
    "make sources": (
        "its recipe is `almanac sources import sources.yaml`, run here on the seed "
        "file pointed at the local sites; the target would point them at the real ones",
        "Makefile",
    ),
}

MAKE_RECIPES = {
    "make lint": ["ruff check .", "ruff format --check .", "mypy"],
    "ruff check": ["ruff check ."],
    "ruff format --check": ["ruff format --check ."],
    "mypy": ["run mypy"],
    "make migrate": ["almanac db wait", "almanac db upgrade"],
    "make sources": ["almanac sources import sources.yaml"],
    "make test": ["run pytest"],
    "make test-faults": ["run pytest -m faults tests/faults"],
}
"""What the Makefile must say for a `NOT_RUN` reason about a recipe to hold."""


# The example sites of the README, and the pages that stand in for them: on the
# demo site (`demo:` + its path) or on this module's local server (`local:`).
EXAMPLE_SITES = {
    "https://folkclub.example/events.ics": "demo:/folk-club/calendar.ics",
    "https://owl.example/shows": "demo:/harbor-room/events/",
    "https://arts.example/": "demo:/bayfront-arts/",
    "https://theatre.example/calendar/": "demo:/bayside-theatre/calendar/",
    "https://playhouse.example/whats-on": "local:/whats-on",
    "https://nature.example/calendars/": "demo:/mote/events/month/",
    "https://www.vanwezel.org/events": "demo:/vanwezel/events",
    "https://mote.org/events": "demo:/mote/events/",
}
_URL = re.compile(r"""(?:https?|webcal)://[^\s'"`),{}]+""")
_LOCAL = ("http://127.0.0.1", "https://calendar.example", "https://city.example")

PLACEHOLDERS: list[tuple[str, str]] = [
    # (what the README writes, what is typed instead); {name} is a World field.
    ("SLUG…", "folk-club vanwezel"),
    ("SLUG", "folk-club"),
    ("--name …", "--name 'Sarasota Folk Club'"),
    ("--url …", "--url {folk_club_url}"),
    ("--timezone …", "--timezone America/New_York"),
    ("'{…}'", "'{{}}'"),
    ("KIND", "ical"),
    ("URL", "{folk_club_url}"),
    ("ID", "{dead_letter}"),
    ("WORDS", "'open mic'"),
    ("FILE", "{examples_file}"),
    ("almanac …", "almanac --help"),
    ("ALMANAC_API_KEY=…", "ALMANAC_API_KEY={api_key}"),
    ("<task_id>", "{task_id}"),
    ("<etag>", "{etag}"),
    ("/events/42", "/events/{event_id}"),
    (README_API, "{api}"),
]


@dataclass
class World:
    """The running system the commands are typed against, and what they left."""

    api: str
    env: dict[str, str]
    workdir: Path
    demo_base: str
    local: LocalHTTPServer
    engine: Engine
    examples_file: Path
    dead_letter: int = 0
    task_id: str = ""
    api_key: str = API_KEY

    @property
    def folk_club_url(self) -> str:
        return self.local_url("https://folkclub.example/events.ics")

    @property
    def etag(self) -> str:
        """The ETag a calendar that polled `/events.ics` just now holds."""
        return httpx.get(f"{self.api}/events.ics").headers["etag"].strip('"')

    @property
    def event_id(self) -> int:
        with self.engine.connect() as conn:
            found = conn.scalar(text("SELECT min(id) FROM events"))
        assert found, "no event is stored yet"
        return int(found)

    def local_url(self, url: str) -> str:
        where, path = EXAMPLE_SITES[url].split(":", 1)
        return (self.demo_base if where == "demo" else self.local.base_url) + path

    def with_local_sites(self, command: str) -> str:
        """The command with each example site replaced by the page standing in for it."""
        for url in _URL.findall(command):
            if url.startswith(_LOCAL) or url.startswith("webcal://…"):
                continue
            assert url in EXAMPLE_SITES, (
                f"{url} is not stood in for: add it to EXAMPLE_SITES with a page that serves it"
            )
        for url in sorted(EXAMPLE_SITES, key=len, reverse=True):
            command = command.replace(url, self.local_url(url))
        return command

    def concrete(self, command: str) -> str:
        """What a user types for a README command: placeholders filled in, the
        example sites and the API's address replaced by this test's."""
        typed = self.with_local_sites(command)
        for written, value in PLACEHOLDERS:
            if written in typed:
                pattern = re.escape(written)
                if written[0].isalpha():
                    pattern = rf"(?<![\w.-]){pattern}(?![\w-])"
                filled = value.format(**self._values(value))
                typed = re.sub(pattern, lambda _, filled=filled: filled, typed)
        assert "…" not in typed, f"a placeholder this test does not fill: {typed}"
        return typed

    def _values(self, value: str) -> dict[str, object]:
        names = re.findall(r"{(\w+)}", value)
        return {name: getattr(self, name) for name in names}


# -- the stand-in for the playhouse of the `css` example: a listing on two pages,
#    and a page per show that `detail` reads.


def _playhouse(site: LocalHTTPServer) -> None:
    day = date.today()

    def card(slug: str, title: str, days: int) -> str:
        when = day + timedelta(days=days)
        return (
            f'<article class="event-card"><h3 class="event-card__title">'
            f'<a href="/shows/{slug}">{title}</a></h3>'
            f'<p class="event-card__date">{when:%B %d, %Y}</p>'
            f'<p class="event-card__time">7:30 PM</p></article>'
        )

    def show(title: str, days: int) -> str:
        when = day + timedelta(days=days)
        return (
            f"<html><body><h1>{title}</h1><p class='show__date'>{when:%A, %B %d, %Y}</p>"
            f"<div class='show__body'><p>{title}, on our main stage.</p></div></body></html>"
        )

    first = card("our-town", "Our Town", 5) + card("the-tempest", "The Tempest", 9)
    pager = '<a class="pager__next" href="/whats-on?page=2">Next</a>'
    html = "<html><body><main>{}</main>{}</body></html>"
    site.serve("/whats-on", html.format(first, pager), content_type="text/html")
    second = card("into-the-woods", "Into the Woods", 16)
    site.serve("/whats-on?page=2", html.format(second, ""), content_type="text/html")
    for slug, title, days in (
        ("our-town", "Our Town", 5),
        ("the-tempest", "The Tempest", 9),
        ("into-the-woods", "Into the Woods", 16),
    ):
        site.serve(f"/shows/{slug}", show(title, days), content_type="text/html")


def _examples_file(world_dir: Path) -> Path:
    """The README's source examples (its YAML blocks), as one sources file."""
    lines = ["sources:"]
    for block in yaml_blocks():
        lines.extend(line for line in block.lines if line.strip() != "sources:")
    path = world_dir / "readme-sources.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _pointed_at_local_sites(path: Path, world: World) -> None:
    path.write_text(world.with_local_sites(path.read_text()))


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def world(
    database_url: str,
    redis_url: str,
    engine: Engine,
    worker_process: Process,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    """The API and beat from the Procfile beside the module's worker, the seed sources
    and the README's examples pointed at the local sites, a dead letter, two venues."""
    from almanac.core.settings import get_settings
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.sources import import_sources, read_sources_file
    from almanac.worker import app as celery
    from demo.site_server import DemoSite

    workdir = tmp_path_factory.mktemp("readme")
    logs = workdir / "logs"
    api_port = free_port()
    env = dict(os.environ) | {
        "PATH": f"{BIN}{os.pathsep}{_uv_dir(workdir)}{os.pathsep}{os.environ.get('PATH', '')}",
        "ALMANAC_API_PORT": str(api_port),
        "ALMANAC_BEAT_SCHEDULE_FILE": str(workdir / "beat-schedule"),
        "COLUMNS": "200",
    }
    demo = DemoSite(0).start()
    local = LocalHTTPServer().start()
    processes: list[Process] = []
    try:
        processes.append(start_from_procfile("api", logs, env))
        processes.append(start_from_procfile("beat", logs, env))
        world = World(
            api=f"http://127.0.0.1:{api_port}",
            env=env,
            workdir=workdir,
            demo_base=demo.base,
            local=local,
            engine=engine,
            examples_file=_examples_file(workdir),
        )
        _playhouse(local)
        # The seed sources and the README's examples, pointed at the local sites.
        shutil.copy(ROOT / "sources.yaml", workdir / "sources.yaml")
        for path in (workdir / "sources.yaml", world.examples_file):
            _pointed_at_local_sites(path, world)
            import_sources(sessions(), get_settings(), read_sources_file(path))
        # A source whose page was gone, kept as a dead letter, and is back since.
        from almanac.core.sources import SourceSpec

        gone = local.url("/calendar.ics")
        spec = SourceSpec(slug="hall-calendar", name="Hall Calendar", kind="ical", url=gone)
        import_sources(sessions(), get_settings(), [spec])
        celery.send_task("almanac.scrape_source", kwargs={"source": "hall-calendar"}).get(
            timeout=60, propagate=False
        )

        def kept() -> int:
            with engine.connect() as conn:
                return int(conn.scalar(text("SELECT max(id) FROM dead_letters")) or 0)

        # The failure is stored as the task's result just before the dead letter is kept.
        wait_until(lambda: bool(kept()), 10, "the gone page's dead letter")
        world.dead_letter = kept()
        with engine.begin() as conn:
            # Two spellings of one place, as sources write them.
            conn.execute(
                text(
                    "INSERT INTO venues (slug, name) VALUES "
                    "('town-hall', 'Town Hall'), ('city-hall-main-st', 'City Hall (Main St)')"
                )
            )
        local.serve("/calendar.ics", FEED)
        wait_until(lambda: _answers(f"{world.api}/health"), 60, "the API")
        yield world
    finally:
        for process in processes:
            process.stop()
        local.stop()
        demo.stop()
        from almanac.db.models import Base

        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _uv_dir(workdir: Path) -> str:
    """A directory whose `uv` is the Makefile's `scripts/uv.sh`, as on a machine where
    uv is not on the PATH: the script must find the real uv, never itself."""
    shim = workdir / "uv-bin"
    shim.mkdir(exist_ok=True)
    (shim / "uv").symlink_to(ROOT / "scripts/uv.sh")
    return str(shim)


# -- running a command


@dataclass
class Ran:
    typed: str
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return json.loads(self.stdout)


def _shell(world: World, typed: str, cwd: Path | None = None, timeout: float = 120) -> Ran:
    out = subprocess.run(
        ["bash", "-c", typed],
        cwd=cwd or world.workdir,
        env=world.env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Ran(typed, out.returncode, out.stdout, out.stderr)


# -- `almanac …`: what each command must print, beyond exiting 0


def _slugs(ran: Ran) -> set[str]:
    listed = ran.json()
    assert isinstance(listed, list)
    return {row["slug"] for row in listed}


ALMANAC_CHECKS: list[tuple[str, Callable[[Ran, World], None]]] = [
    (r"db wait$", lambda ran, _: _has(ran, "PostgreSQL and Redis are up.")),
    (r"db upgrade$", lambda ran, _: _has(ran, "Database at revision")),
    (
        r"db current$",
        lambda ran, _: _matches(ran, r"current: (\w+)\s+head: \1"),
    ),
    (r"sources import ", lambda ran, _: _matches(ran, r": 0 created, \d+ updated, \d+ unchanged")),
    (r"sources add ", lambda ran, _: _matches(ran, r"folk-club: (updated|unchanged)\.")),
    (
        r"sources list --json$",
        lambda ran, _: _check(
            {"folk-club", "owl", "arts", "playhouse", "nature", "vanwezel", "mote"} <= _slugs(ran),
            ran,
        ),
    ),
    (
        r"sources show folk-club --json$",
        lambda ran, _: _check(ran.json()["source"]["slug"] == "folk-club", ran),  # type: ignore[index]
    ),
    (r"sources edit ", lambda ran, _: _matches(ran, r"folk-club: (updated|unchanged)\.")),
    (
        r"sources (enable|disable) ",
        lambda ran, _: _matches(ran, r"folk-club: (updated|unchanged)\."),
    ),
    (r"sources export > sources.yaml$", lambda ran, world: _export_reads_back(world)),
    (r"scrape folk-club vanwezel --sync$", lambda ran, _: _scraped(ran, "folk-club", "vanwezel")),
    (
        r"scrape --all --sync$",
        lambda ran, _: _scraped(ran, "owl", "arts", "playhouse", "nature", "vanwezel", "mote"),
    ),
    (r"--dry-run$", lambda ran, _: _has(ran, "nothing stored (dry run)")),
    (r"dead-letters list --replayed --json$", lambda ran, world: _dead_letter_listed(ran, world)),
    (r"dead-letters replay \d+$", lambda ran, world: _replayed(ran, world)),
    (r"runs --source folk-club --failed --json$", lambda ran, _: _check(ran.json() == [], ran)),
    (r"events .*--json$", lambda ran, _: _open_mics(ran)),
    (r"health --json$", lambda ran, _: _healthy(ran)),
    (r"almanac --help$", lambda ran, _: _has(ran, "Usage")),
    (r"scrape vanwezel$", lambda ran, _: _matches(ran, r"vanwezel: (ok|not_modified)")),
    (r"sources list$", lambda ran, _: _has(ran, "vanwezel")),
]


def _check(ok: bool, ran: Ran) -> None:
    assert ok, f"{ran.typed}\n{ran.stdout}\n{ran.stderr}"


def _has(ran: Ran, words: str) -> None:
    _check(words in ran.stdout, ran)


def _matches(ran: Ran, pattern: str) -> None:
    _check(re.search(pattern, ran.stdout) is not None, ran)


def _scraped(ran: Ran, *slugs: str) -> None:
    for slug in slugs:
        _matches(ran, rf"(?m)^{re.escape(slug)}: (ok|not_modified) ")


def _export_reads_back(world: World) -> None:
    from almanac.core.settings import get_settings
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.sources import import_sources, read_sources_file

    exported = read_sources_file(world.workdir / "sources.yaml")
    assert {"folk-club", "vanwezel", "mote", "playhouse"} <= {spec.slug for spec in exported}
    again = import_sources(sessions(), get_settings(), exported)
    assert (again.created, again.updated) == (0, 0), again


def _dead_letter_listed(ran: Ran, world: World) -> None:
    letters = [json.loads(line) for line in ran.stdout.splitlines() if line.strip()]
    ids = {letter["id"] for letter in letters}
    _check(world.dead_letter in ids, ran)


def _replayed(ran: Ran, world: World) -> None:
    found = re.search(rf"Replayed dead letter {world.dead_letter}: task (\S+)", ran.stdout)
    _check(found is not None, ran)
    assert found
    from almanac.worker import app as celery

    # The page is back: the replayed scrape succeeds (unchanged since `scrape --all` read it).
    result = celery.AsyncResult(found.group(1)).get(timeout=60)
    assert result["status"] in ("ok", "not_modified"), result


def _open_mics(ran: Ran) -> None:
    lines = ran.json()
    assert isinstance(lines, list)
    _check(all("open mic" in line["title"].lower() for line in lines), ran)


def _healthy(ran: Ran) -> None:
    checks = ran.json()
    assert isinstance(checks, dict)
    _check(all(check["ok"] for check in checks.values()), ran)


def run_almanac(command: Command, world: World) -> None:
    """An `almanac …` line, each command its synopsis stands for, typed in a
    directory holding the seed `sources.yaml` (pointed at the local sites)."""
    for synopsis in expand(command.text):
        typed = world.concrete(synopsis)
        cwd = ROOT if typed.startswith("uv ") else world.workdir
        ran = _shell(world, typed, cwd)
        assert ran.returncode == 0, f"{typed}\n{ran.stdout}\n{ran.stderr}"
        checks = [check for pattern, check in ALMANAC_CHECKS if re.search(pattern, typed)]
        assert checks, f"nothing says what `{typed}` should print: add it to ALMANAC_CHECKS"
        for check in checks:
            check(ran, world)


# -- `curl …`: the answer a user would see


@dataclass
class Answer:
    status: int
    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return "/" + self.url.split("/", 3)[3] if self.url.count("/") >= 3 else "/"

    def json(self) -> dict[str, object]:
        data = json.loads(self.body)
        assert isinstance(data, dict | list)
        return data  # type: ignore[return-value]


def _preview(answer: Answer, world: World) -> None:
    found = answer.json()
    assert found["event_count"], found  # the README's selectors find the theatre's shows
    assert found["problems"] == [], found


def _created(answer: Answer, world: World) -> None:
    source = answer.json()
    assert (source["slug"], source["schedule"]) == ("bayside-theatre", "30 7 * * *")


def _accepted(answer: Answer, world: World) -> None:
    accepted = answer.json()
    assert str(accepted["status_url"]).endswith(f"/tasks/{accepted['task_id']}")
    world.task_id = str(accepted["task_id"])


def _task(answer: Answer, world: World) -> None:
    task = answer.json()
    assert task["id"] == world.task_id
    assert task["state"] in ("PENDING", "STARTED", "SUCCESS"), task
    if task["state"] == "SUCCESS":
        assert task["result"]["source"] == "vanwezel", task


def _calendar(answer: Answer, world: World) -> None:
    assert answer.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in answer.body
    assert b"BEGIN:VEVENT" in answer.body
    assert answer.headers["etag"]


def _merged(answer: Answer, world: World) -> None:
    assert answer.json()["slug"] == "town-hall"
    assert httpx.get(f"{world.api}/venues/city-hall-main-st").status_code == 404
    aliases = httpx.get(f"{world.api}/venues/town-hall").json()["aliases"]
    assert "city hall (main st)" in aliases


def _purged(answer: Answer, world: World) -> None:
    assert answer.json()["events_purged"] == 0  # it never ran: the preview stored nothing
    left = httpx.get(f"{world.api}/events", params={"source": "bayside-theatre"})
    assert left.json()["items"] == []


def _listed(answer: Answer, world: World) -> None:
    found = answer.json()
    assert isinstance(found if isinstance(found, list) else found["items"], list), found


def _failed_runs(answer: Answer, world: World) -> None:
    runs = answer.json()
    assert isinstance(runs, list)
    assert runs, "the gone page's failed scrape is listed"
    assert all(run["state"] in ("failure", "rejected") for run in runs)


CURL_CHECKS: list[tuple[str, Callable[[Answer, World], None]]] = [
    (r"^POST /sources/preview$", _preview),
    (r"^POST /sources$", _created),
    (r"^GET /sources/bayside-theatre$", lambda a, _: _field(a, "kind", "css")),
    (r"^PATCH /sources/bayside-theatre$", lambda a, _: _field(a, "schedule", None)),
    (r"^DELETE /sources/bayside-theatre$", lambda a, _: _field(a, "enabled", False)),
    (r"^DELETE /sources/bayside-theatre\?purge=true$", _purged),
    (r"^POST /sources/vanwezel/scrape$", _accepted),
    (r"^GET /tasks/", _task),
    (r"^GET /events\?", _listed),
    (r"^GET /events/\d+$", lambda a, w: _field(a, "id", w.event_id)),
    (r"^GET /(sources/vanwezel/)?events\.ics$", _calendar),
    (r"^POST /venues/town-hall/merge$", _merged),
    (r"^GET /runs\?failed=true", _failed_runs),
    (r"^GET /sources/vanwezel/runs$", _listed),
    (r"^GET /metrics$", lambda a, _: _check_text(a, "almanac_task_runs_total{")),
]


def _field(answer: Answer, name: str, value: object) -> None:
    found = answer.json()
    assert found[name] == value, found


def _check_text(answer: Answer, words: str) -> None:
    assert words in answer.body.decode(), answer.body[:500]


def _shell_setup(world: World) -> str:
    """The README's `export ALMANAC_API_KEY=…`, `API=…` and `AUTH=…` lines, typed."""
    lines = [c.text for c in readme_commands() if _is_setup(c)]
    return "\n".join(world.concrete(line) for line in lines)


def _is_setup(command: Command) -> bool:
    return re.match(r"^(export )?[A-Z_]+=", command.text) is not None


def run_setup(command: Command, world: World) -> None:
    """The lines that set a shell up for the API: they give the key and the address."""
    ran = _shell(world, _shell_setup(world) + '\necho "$API|$AUTH|$ALMANAC_API_KEY"')
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == f"{world.api}|Authorization: Bearer {API_KEY}|{API_KEY}"


def run_curl(command: Command, world: World) -> None:
    """A `curl` against the live API, in a shell set up as the README says; the
    status is the one its comment promises (`# 202`, `# 304`), else a success."""
    body, headers = world.workdir / "body", world.workdir / "headers"
    typed = world.concrete(command.text)
    assert typed.startswith("curl ")
    seen = f"-sS -o {body} -D {headers} -w '%{{http_code}} %{{method}} %{{url_effective}}' "
    ran = _shell(world, _shell_setup(world) + "\ncurl " + seen + typed.removeprefix("curl "))
    assert ran.returncode == 0, f"{typed}\n{ran.stderr}"
    status, method, url = ran.stdout.split(" ", 2)
    received: dict[str, str] = {}
    for line in headers.read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        received[name.strip().lower()] = value.strip()
    answer = Answer(int(status), method, url, received, body.read_bytes())
    expected = command.expected_status
    if expected is None:
        assert 200 <= answer.status < 300, (typed, answer.status, answer.body[:500])
    else:
        assert answer.status == expected, (typed, answer.status, answer.body[:500])
    if answer.status == 304:
        assert answer.body.endswith(b"\r\n\r\n"), answer.body  # headers only, no body
        return
    request = f"{method} {answer.path}"
    checks = [check for pattern, check in CURL_CHECKS if re.search(pattern, request)]
    assert checks, f"nothing says what `{request}` should answer: add it to CURL_CHECKS"
    for check in checks:
        check(answer, world)


# -- `uv run celery …`, `celery … worker`, the compose lines and the rest


def run_celery(command: Command, world: World) -> None:
    """A `uv run celery -A almanac.worker …` line, against the module's worker."""
    typed = world.concrete(command.text)
    ran = _shell(world, typed, ROOT)
    assert ran.returncode == 0, f"{typed}\n{ran.stdout}\n{ran.stderr}"
    action = command.words[5]
    if action == "call":
        _matches(ran, r"^[0-9a-f-]{36}$")
    elif command.words[6:7] == ["ping"]:
        _has(ran, "pong")
    elif action == "inspect":
        _matches(ran, rf"celery@{re.escape(socket.gethostname())}: OK")
    elif action == "purge":
        _matches(ran, r"(Purged \d+ messages? from \d+ known task queues?|No messages purged)")


def run_scaled_worker(command: Command, world: World) -> None:
    """`celery -A almanac.worker worker …` as in the Procfile, with a --hostname of its
    own: a second worker beside the first, on the same Redis and PostgreSQL."""
    from almanac.worker import app as celery

    line = procfile()["worker"]
    assert command.text.removesuffix(" …") in line
    argv = ["bash", "-c", f"exec {line} --concurrency 1 --hostname scaled@%h"]
    second = Process("scaled-worker", argv, world.workdir / "logs", world.env)
    try:
        node = f"scaled@{socket.gethostname()}"
        wait_until(
            lambda: (
                bool(celery.control.ping(destination=[node], timeout=0.5))
                or second.popen.poll() is not None
            ),
            60,
            "the second worker",
        )
        assert second.popen.poll() is None, second.output()
        answering = {name for reply in celery.control.ping(timeout=1) for name in reply}
        assert {node, f"celery@{socket.gethostname()}"} <= answering
    finally:
        second.stop()


def run_compose_exec(command: Command, world: World) -> None:
    """`docker compose -f compose.dev.yml exec SERVICE CMD…`: SERVICE is one of the
    compose file's, and CMD, which the image has on its path, works here."""
    words = command.words
    assert words[:5] == ["docker", "compose", "-f", "compose.dev.yml", "exec"]
    services = yaml.safe_load((ROOT / "compose.dev.yml").read_text())["services"]
    assert words[5] in services, f"compose.dev.yml has no service {words[5]!r}"
    inner = Command(" ".join(words[6:]), command.line, command.comment)
    run_almanac(inner, world)


def run_demo_site(command: Command, world: World) -> None:
    """`uv run python -m demo site --port …`: the site alone, answering on that port."""
    port = free_port()
    typed = world.concrete(command.text).replace("--port 8800", f"--port {port}")
    assert f"--port {port}" in typed
    site = Process("demo-site", ["bash", "-c", f"exec {typed}"], world.workdir / "logs", world.env)
    try:
        url = f"http://127.0.0.1:{port}/folk-club/calendar.ics"
        wait_until(lambda: _answers(url) or site.popen.poll() is not None, 60, "the demo site")
        assert b"BEGIN:VCALENDAR" in httpx.get(url).content, site.output()
        assert f"Demo site at http://127.0.0.1:{port}/" in site.output()
    finally:
        site.stop()


def run_dropdb(command: Command, world: World) -> None:
    """`dropdb … almanac_demo`, on a database of this test's rather than the demo's."""
    name = f"almanac_demo_{os.getpid()}"
    typed = command.text.replace("almanac_demo", name)
    assert typed != command.text
    created = _shell(world, f"createdb -h 127.0.0.1 -U postgres {name}")
    assert created.returncode == 0, created.stderr
    ran = _shell(world, typed)
    assert ran.returncode == 0, ran.stderr
    listed = _shell(world, "psql -h 127.0.0.1 -U postgres -Atc 'SELECT datname FROM pg_database'")
    assert name not in listed.stdout.split()


def run_openssl(command: Command, world: World) -> None:
    """`openssl rand -hex 32` makes a key the API accepts in ALMANAC_API_KEYS."""
    ran = _shell(world, command.text)
    assert re.fullmatch(r"[0-9a-f]{64}\n", ran.stdout), ran.stdout


def run_make(command: Command, world: World) -> None:
    """`make help` lists every target the README names."""
    ran = _shell(world, command.text, ROOT)
    assert ran.returncode == 0, ran.stderr
    named = {c.words[1] for c in readme_commands() if c.words[:1] == ["make"] and len(c.words) > 1}
    listed = set(re.findall(r"^\s+make (\S+)", ran.stdout, re.M))
    assert named <= listed, named - listed


RUNNERS: list[tuple[str, Callable[[Command, World], None]]] = [
    (r"^curl ", run_curl),
    (r"^(export )?[A-Z_]+=", run_setup),
    (r"^almanac ", run_almanac),
    (r"^uv run almanac ", run_almanac),
    (r"^uv run celery -A almanac\.worker ", run_celery),
    (r"^celery -A almanac\.worker worker …$", run_scaled_worker),
    (r"^uv run python -m demo site ", run_demo_site),
    (r"^docker compose -f compose\.dev\.yml exec ", run_compose_exec),
    (r"^dropdb ", run_dropdb),
    (r"^openssl rand ", run_openssl),
    (r"^make help$", run_make),
]


# -- which commands are run, which are named in others, which are listed


def _normal(words: list[str]) -> list[str]:
    return [w.strip("[]").removesuffix("…") for w in words if w.strip("[]…")]


def _within(short: list[str], long: list[str]) -> bool:
    """Whether `short`'s words appear in `long`, in order."""
    rest = iter(long)
    return all(word in rest for word in short)


def covering(command: Command, commands: list[Command]) -> Command | None:
    """The fuller command an inline mention stands for (`almanac scrape` in prose
    is `almanac scrape SLUG… [--sync]` of the command list), if any; a mention
    with alternatives needs one for each."""
    if not command.inline:
        return None
    candidates = [
        (other, [_normal(synopsis.split()) for synopsis in expand(other.text)])
        for other in commands
        if not other.inline and other.text not in NOT_RUN
    ]
    found = []
    for synopsis in expand(command.text):
        mine = _normal(synopsis.split())
        fuller = [other for other, theirs in candidates if any(_within(mine, t) for t in theirs)]
        if not fuller:
            return None
        found.append(fuller[0])
    return found[0]


def _distinct(commands: list[Command]) -> list[Command]:
    seen: dict[str, Command] = {}
    for command in commands:
        seen.setdefault(command.text, command)
    return list(seen.values())


COMMANDS = _distinct(readme_commands())


def test_the_readme_shows_commands_of_every_kind() -> None:
    programs = {c.words[0] for c in COMMANDS}
    assert {"almanac", "curl", "uv", "make", "docker", "celery"} <= programs
    assert len(COMMANDS) > 50


def test_every_command_not_run_here_is_in_the_readme_and_run_elsewhere() -> None:
    shown = {c.text for c in COMMANDS}
    makefile = (ROOT / "Makefile").read_text()
    for command, (reason, evidence) in NOT_RUN.items():
        assert command in shown, f"{command!r} is no longer in the README: drop it from NOT_RUN"
        assert reason
        assert (ROOT / evidence).is_file(), (command, evidence)
        if command.startswith("make "):
            target = command.split()[1]
            assert re.search(rf"^{target}:.*## ", makefile, re.M), f"no `{target}` target"
            # What it would run, printed and not run: make takes the line as written.
            planned = subprocess.run(
                ["make", "-n", *command.split()[1:]],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert planned.returncode == 0, (command, planned.stderr)
            for assignment in command.split()[2:]:
                name = assignment.split("=", 1)[0]
                assert assignment in planned.stdout or name not in makefile, (command, name)
        for step in MAKE_RECIPES.get(command, []):
            assert step in makefile, (command, step)


def test_the_readme_s_links_to_the_api_answer(world: World) -> None:
    """`Where to look`: the API, its docs, its OpenAPI document and readiness (with a
    worker and beat running, ready). Flower's link is opened by Flower's own test."""
    links = re.findall(r"<(http://127\.0\.0\.1:\d+[^>]*)>", README.read_text())
    assert {link.split("/")[2] for link in links} == {"127.0.0.1:8000", "127.0.0.1:5555"}
    assert (ROOT / "apps/worker/tests/test_flower.py").is_file()
    api_links = [link for link in links if link.startswith(README_API)]
    assert f"{README_API}/health/ready" in api_links
    ready = f"{world.api}/health/ready"
    wait_until(lambda: httpx.get(ready).status_code == 200, 60, "beat's first heartbeat")
    for link in api_links:
        answer = httpx.get(world.api + link.removeprefix(README_API), timeout=10)
        assert answer.status_code == 200, (link, answer.text[:300])


def _runner(command: Command) -> Callable[[Command, World], None] | None:
    found = [run for pattern, run in RUNNERS if re.search(pattern, command.text)]
    return found[0] if found else None


def _ids(commands: list[Command]) -> list[str]:
    return [f"L{c.line}:{c.text[:60]}" for c in commands]


@pytest.mark.parametrize("command", COMMANDS, ids=_ids(COMMANDS))
def test_every_command_is_run_here_or_named_with_the_test_that_runs_it(command: Command) -> None:
    if command.text in NOT_RUN or covering(command, COMMANDS):
        return
    assert _runner(command), (
        f"README.md:{command.line}: `{command.text}` is neither run by this module "
        "(RUNNERS) nor in NOT_RUN with the test that runs it"
    )


RUN = [
    c
    for c in COMMANDS
    if c.text not in NOT_RUN and covering(c, COMMANDS) is None and _runner(c) is not None
]


@pytest.mark.parametrize("command", RUN, ids=_ids(RUN))
def test_readme_command(command: Command, world: World) -> None:
    run = _runner(command)
    assert run is not None
    run(command, world)
