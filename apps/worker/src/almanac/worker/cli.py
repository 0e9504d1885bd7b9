"""The `almanac` command: the operator's tool, also inside `docker compose exec`."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from almanac.core.domain import RunStatus, Trigger
from almanac.core.errors import AlmanacError
from almanac.core.settings import get_settings

if TYPE_CHECKING:
    from celery.result import AsyncResult

app = typer.Typer(help="Almanac: a city's events in one place.", no_args_is_help=True)
db_app = typer.Typer(help="The database: wait for it, migrate it.", no_args_is_help=True)
sources_app = typer.Typer(help="The sources Almanac reads.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sources_app, name="sources")
dead_letters_app = typer.Typer(
    help="Tasks that failed after their last retry.", no_args_is_help=True
)
app.add_typer(dead_letters_app, name="dead-letters")

T = TypeVar("T")
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


@db_app.command("wait")
def db_wait(timeout: float = 60.0) -> None:
    """Wait until PostgreSQL and Redis accept connections."""
    from almanac.pipeline.services import wait_for_services

    wait_for_services(get_settings(), timeout)
    console.print("PostgreSQL and Redis are up.")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create the database if it is missing and apply the migrations."""
    from almanac.pipeline.database import upgrade_database

    created, state = upgrade_database(get_settings(), revision)
    if created:
        console.print("Created the database.")
    console.print(f"Database at revision {state.current} (newest: {state.head}).")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision and the newest one."""
    from almanac.pipeline.database import migration_state

    state = migration_state(get_settings())
    console.print(f"current: {state.current or 'none'}  head: {state.head}")
    if not state.up_to_date:
        raise typer.Exit(1)


@sources_app.command("import")
def sources_import(path: Path) -> None:
    """Create or update sources from a YAML file; running it again changes nothing."""
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.sources import import_sources, read_sources_file

    result = import_sources(sessions(), get_settings(), read_sources_file(path))
    console.print(
        f"{path}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged."
    )


@sources_app.command("add")
def sources_add(
    slug: str,
    kind: Annotated[str, typer.Option(help="ical, jsonld, tribe, css, ical_links, …")],
    url: Annotated[str, typer.Option(help="The page or feed to read")],
    name: Annotated[str | None, typer.Option(help="Defaults to the slug")] = None,
    config: Annotated[str, typer.Option(help="The kind's options, as JSON")] = "{}",
    timezone: Annotated[str | None, typer.Option(help="IANA zone of the source")] = None,
    schedule: Annotated[str | None, typer.Option(help="Cron expression")] = None,
) -> None:
    """Add (or update) one source; its config is checked for its kind before saving."""
    from pydantic import ValidationError

    from almanac.core.sources import SourceSpec
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.sources import import_sources

    try:
        spec = SourceSpec(
            slug=slug,
            name=name or slug,
            kind=kind,
            url=url,
            config=json.loads(config),
            timezone=timezone,
            schedule=schedule,
        )
    except json.JSONDecodeError as exc:
        errors.print(f"almanac: --config is not JSON: {exc}")
        raise typer.Exit(2) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        errors.print(f"almanac: {problems}")
        raise typer.Exit(2) from None
    result = import_sources(sessions(), get_settings(), [spec])
    verb = "added" if result.created else "updated" if result.updated else "unchanged"
    console.print(f"{slug}: {verb}.")


@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the sources with their health."""
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.sources import source_health

    rows = source_health(sessions())
    if as_json:
        print(json.dumps([asdict(row) for row in rows], default=str))
        return
    table = Table("slug", "kind", "enabled", "last status", "last run", "next run", "events", "url")
    for s in rows:
        table.add_row(
            s.slug,
            s.kind,
            "yes" if s.enabled else "no",
            s.last_status or "never run",
            f"{s.last_run_at:%Y-%m-%d %H:%M}" if s.last_run_at else "",
            f"{s.next_run_at:%Y-%m-%d %H:%M}" if s.next_run_at else "",
            "" if s.last_event_count is None else str(s.last_event_count),
            s.url,
        )
    console.print(table)


@sources_app.command("show")
def sources_show(
    slug: str, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """One source: its settings, its health and its last runs."""
    from almanac.pipeline.operator_views import task_runs
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.source_edits import current_spec
    from almanac.pipeline.sources import source_health

    spec = _known_source(lambda: current_spec(sessions(), slug))
    (health,) = [h for h in source_health(sessions()) if h.slug == slug]
    runs = task_runs(sessions(), slug, failed=False, limit=5)
    if as_json:
        print(
            json.dumps(
                {
                    "source": spec.model_dump(mode="json"),
                    "health": asdict(health),
                    "runs": [asdict(run) for run in runs],
                },
                default=str,
            )
        )
        return
    table = Table("", slug, show_header=False)
    for field, value in spec.model_dump(mode="json").items():
        table.add_row(field, json.dumps(value) if isinstance(value, dict | list) else str(value))
    table.add_row("last status", health.last_status or "never run")
    table.add_row("last run", f"{health.last_run_at:%Y-%m-%d %H:%M}" if health.last_run_at else "")
    table.add_row("next run", f"{health.next_run_at:%Y-%m-%d %H:%M}" if health.next_run_at else "")
    table.add_row("consecutive failures", str(health.consecutive_failures))
    table.add_row(
        "events last run", "" if health.last_event_count is None else str(health.last_event_count)
    )
    table.add_row("problem", health.health_reason or health.last_error or "")
    console.print(table)
    for run in runs:
        console.print(
            f"  {run.started_at:%Y-%m-%d %H:%M} {run.state} task {run.task_id}"
            if run.started_at
            else f"  {run.state} task {run.task_id}"
        )


@sources_app.command("edit")
def sources_edit(
    slug: str,
    name: Annotated[str | None, typer.Option()] = None,
    url: Annotated[str | None, typer.Option()] = None,
    config: Annotated[str | None, typer.Option(help="The kind's options, as JSON")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA zone of the source")] = None,
    schedule: Annotated[
        str | None, typer.Option(help="Cron expression; an empty one for the daily default")
    ] = None,
) -> None:
    """Change some of a source's settings; the result is checked before it is saved."""
    changes: dict[str, object] = {}
    for field, value in (("name", name), ("url", url), ("timezone", timezone)):
        if value is not None:
            changes[field] = value
    if schedule is not None:
        changes["schedule"] = schedule or None
    if config is not None:
        try:
            changes["config"] = json.loads(config)
        except json.JSONDecodeError as exc:
            errors.print(f"almanac: --config is not JSON: {exc}")
            raise typer.Exit(2) from None
    if not changes:
        errors.print(
            "almanac: nothing to change: give --name, --url, --config, --timezone or --schedule"
        )
        raise typer.Exit(2)
    _save_edit(slug, changes)


@sources_app.command("enable")
def sources_enable(slug: str) -> None:
    """Scrape the source again, on its schedule or the daily run."""
    _save_edit(slug, {"enabled": True})


@sources_app.command("disable")
def sources_disable(slug: str) -> None:
    """Stop scraping the source; its events stay."""
    _save_edit(slug, {"enabled": False})


@sources_app.command("export")
def sources_export() -> None:
    """Print every source as a sources file (`almanac sources import` reads it back)."""
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.source_edits import export_sources

    print(export_sources(sessions()), end="")


def _known_source(read: Callable[[], T]) -> T:
    from almanac.core.errors import SourceNotFound

    try:
        return read()
    except SourceNotFound as exc:
        errors.print(f"almanac: {exc}")
        raise typer.Exit(2) from None


def _save_edit(slug: str, changes: dict[str, object]) -> None:
    from pydantic import ValidationError

    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.source_edits import edit_source
    from almanac.pipeline.sources import SourcesFileError

    try:
        result = _known_source(lambda: edit_source(sessions(), get_settings(), slug, changes))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        errors.print(f"almanac: {slug}: {problems}")
        raise typer.Exit(2) from None
    except SourcesFileError as exc:
        errors.print(f"almanac: {exc}")
        raise typer.Exit(2) from None
    console.print(f"{slug}: {'updated' if result.updated else 'unchanged'}.")


@app.command()
def scrape(
    sources: Annotated[list[str] | None, typer.Argument(help="Slugs (or ids)")] = None,
    all_sources: Annotated[
        bool, typer.Option("--all", help="Every enabled source, each in its own task.")
    ] = False,
    sync: Annotated[bool, typer.Option(help="Run in this process, without a worker.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Fetch and parse only: print what was found, write nothing."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    timeout: float = 300.0,
) -> None:
    """Scrape sources now (SLUG… or --all), through workers with a live display
    of their progress (default) or in this process. Exits 1 if a run failed."""
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.sources import enabled_sources

    if bool(sources) == all_sources:
        errors.print("almanac: name one or more SOURCES, or pass --all")
        raise typer.Exit(2)
    wanted = list(sources or []) if not all_sources else enabled_sources(sessions())
    if dry_run:
        _dry_run(wanted, as_json)
        return
    if sync:
        results: list[dict[str, Any] | None] = [_scrape_here(s) for s in wanted]
    else:
        sent = [_send_scrape(s, quiet=as_json) for s in wanted]
        results = _follow_all(sent, time.monotonic() + timeout, show=not as_json)
    if as_json:
        print(json.dumps(results, default=str))
    else:
        for result in results:
            if result is not None:
                _print_result(result)
    if any(r is None or r["status"] == RunStatus.FAILED for r in results):
        raise typer.Exit(1)


def _dry_run(wanted: list[str], as_json: bool) -> None:
    """Each source fetched and parsed as a scrape would, nothing stored. Exits 1
    if one of them yields no event."""
    from almanac.pipeline.preview import preview_source
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.source_edits import current_spec

    previews = {}
    for slug in wanted:
        spec = _known_source(partial(current_spec, sessions(), slug))
        previews[slug] = preview_source(
            get_settings(), spec.kind, spec.url, spec.config, spec.timezone
        )
    if as_json:
        print(json.dumps({slug: p.as_dict() for slug, p in previews.items()}))
    else:
        zone = get_settings().zone
        for slug, preview in previews.items():
            table = Table(
                "starts", "title", "status", title=f"{slug}: {preview.event_count} events"
            )
            for event in preview.events:
                for occurrence in event["occurrences"]:
                    starts = datetime.fromisoformat(occurrence["starts_at"]).astimezone(zone)
                    table.add_row(
                        f"{starts:%a %Y-%m-%d %H:%M}",
                        occurrence["title"] or event["title"],
                        occurrence["status"],
                    )
            console.print(table)
            for problem in preview.problems:
                where = f" ({problem['item']})" if problem["item"] else ""
                console.print(f"  problem: {problem['reason']}{where}")
            console.print(f"  {preview.requests} requests, nothing stored (dry run)")
    if any(p.event_count == 0 for p in previews.values()):
        raise typer.Exit(1)


def _scrape_here(source: str) -> dict[str, Any]:
    from almanac.pipeline.scrape import scrape_source
    from almanac.pipeline.sessions import sessions

    return scrape_source(sessions(), get_settings(), source, trigger=Trigger.CLI).as_dict()


def _send_scrape(source: str, quiet: bool = False) -> AsyncResult:
    from celery.result import AsyncResult

    from almanac.core import tasks
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.sources import source_slug
    from almanac.pipeline.task_records import send_scrape
    from almanac.worker.celery_app import app as celery

    slug = source_slug(sessions(), source)

    def send(task_id: str) -> None:
        celery.send_task(
            tasks.SCRAPE_SOURCE,
            kwargs={"source": slug, "trigger": str(Trigger.CLI)},
            task_id=task_id,
            priority=tasks.scrape_priority(Trigger.CLI),
        )

    dispatch = send_scrape(sessions(), get_settings(), slug, send)
    sent = AsyncResult(dispatch.task_id, app=celery)
    if quiet:
        pass
    elif dispatch.already_running:
        console.print(f"{slug} is already queued or being scraped: following task {sent.id}")
    else:
        console.print(f"Sent {tasks.SCRAPE_SOURCE} for {slug}: task {sent.id}")
    return sent


def _follow_all(
    sent: list[AsyncResult], deadline: float, show: bool
) -> list[dict[str, Any] | None]:
    """Every task's result, with a live line per task while they run; None, said
    on stderr, for one that failed or was still running at the deadline."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    results: dict[str, dict[str, Any] | None] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show,
    ) as progress:
        lines = {task.id: progress.add_task(f"task {task.id}: queued") for task in sent}
        while len(results) < len(sent) and time.monotonic() < deadline:
            for task in sent:
                if task.id in results:
                    continue
                state = task.state
                progress.update(lines[task.id], description=f"task {task.id}: {state.lower()}")
                if task.ready():
                    results[task.id] = _outcome(task)
                    progress.update(lines[task.id], completed=100)
            time.sleep(0.3)
    for task in sent:
        if task.id not in results:
            errors.print(f"still running after the timeout: task {task.id}")
    return [results.get(task.id) for task in sent]


def _outcome(sent: AsyncResult) -> dict[str, Any] | None:
    result = sent.get(propagate=False)
    if not isinstance(result, dict):
        errors.print(f"task {sent.id} failed: {result}")
        return None
    return result


def _print_result(result: dict[str, Any]) -> None:
    if result["status"] == "skipped":
        console.print(f"{result['source']} was being scraped by task {result['running_task_id']}")
        return
    counts = result["counts"]
    console.print(
        f"{result['source']}: {result['status']} — {counts['found']} found, "
        f"{counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged"
        + (f", new venues: {', '.join(result['venues_made'])}" if result.get("venues_made") else "")
        + (f" ({result['message']})" if result.get("message") else "")
    )


@dead_letters_app.command("list")
def dead_letters_list(
    replayed: Annotated[bool, typer.Option(help="Include those already replayed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Tasks that failed for good, newest first."""
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.task_records import dead_letters

    letters = dead_letters(sessions(), include_replayed=replayed)
    if as_json:
        for letter in letters:
            print(
                json.dumps(
                    {
                        "id": letter.id,
                        "task_id": letter.task_id,
                        "task_name": letter.task_name,
                        "args": letter.args,
                        "kwargs": letter.kwargs,
                        "error": letter.error,
                        "retries": letter.retries,
                        "failed_at": letter.failed_at.isoformat(),
                        "replay_task_id": letter.replay_task_id,
                    }
                )
            )
        return
    table = Table("id", "failed at", "task", "arguments", "retries", "error", "replayed as")
    for letter in letters:
        table.add_row(
            str(letter.id),
            f"{letter.failed_at:%Y-%m-%d %H:%M}",
            letter.task_name,
            json.dumps(letter.kwargs or letter.args),
            str(letter.retries),
            letter.error,
            letter.replay_task_id or "",
        )
    console.print(table)


@dead_letters_app.command("replay")
def dead_letters_replay(letter_id: int) -> None:
    """Send a dead letter's task again, with its arguments."""
    from almanac.pipeline.sessions import sessions
    from almanac.pipeline.task_records import DeadLetter, replay_dead_letter
    from almanac.worker.celery_app import app as celery

    def send(letter: DeadLetter) -> str:
        return str(celery.send_task(letter.task_name, args=letter.args, kwargs=letter.kwargs).id)

    try:
        task_id = replay_dead_letter(sessions(), letter_id, send)
    except LookupError as exc:
        errors.print(f"almanac: {exc}")
        raise typer.Exit(2) from None
    console.print(f"Replayed dead letter {letter_id}: task {task_id}")


@app.command()
def runs(
    source: Annotated[str | None, typer.Option(help="Only this source's tasks")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Only tasks that failed")] = False,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Task runs, newest first. Exits 1 if any of those listed failed."""
    from almanac.pipeline.operator_views import UnknownSource, task_runs
    from almanac.pipeline.sessions import sessions

    try:
        lines = task_runs(sessions(), source, failed, limit)
    except UnknownSource as exc:
        errors.print(f"almanac: {exc}")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps([asdict(line) for line in lines], default=str))
    else:
        table = Table("started", "task", "source", "state", "retries", "runtime", "worker", "error")
        for line in lines:
            table.add_row(
                f"{line.started_at:%Y-%m-%d %H:%M:%S}" if line.started_at else "",
                line.task_name.removeprefix("almanac."),
                line.source or "",
                line.state,
                str(line.retries),
                f"{line.runtime_seconds:.1f}s" if line.runtime_seconds is not None else "",
                line.worker or "",
                (line.error or "")[:120],
            )
        console.print(table)
    if any(line.state in ("failure", "rejected") for line in lines):
        raise typer.Exit(1)


@app.command()
def events(
    start: Annotated[
        datetime | None, typer.Option("--from", help="Window start (default: now)")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", help="Window end (default: 30 days on)")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option(help="Only this source (repeat for several)")
    ] = None,
    q: Annotated[str | None, typer.Option("--q", help="Words in the title or description")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Events in a time window, by start, as `GET /events` lists them."""
    from almanac.pipeline.operator_views import UnknownSource, upcoming_events
    from almanac.pipeline.sessions import sessions

    zone = get_settings().zone
    begin = _aware(start, zone) if start else datetime.now(UTC)
    finish = _aware(end, zone) if end else begin + timedelta(days=30)
    if finish <= begin:
        errors.print("almanac: --to must be after --from")
        raise typer.Exit(2)
    try:
        lines = upcoming_events(sessions(), begin, finish, source or [], q, limit)
    except UnknownSource as exc:
        errors.print(f"almanac: {exc}")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps([asdict(line) for line in lines], default=str))
        return
    table = Table("starts", "title", "source", "venue", "status")
    for line in lines:
        when = line.starts_at.astimezone(zone)
        table.add_row(
            f"{when:%a %Y-%m-%d}" if line.all_day else f"{when:%a %Y-%m-%d %H:%M}",
            line.title,
            line.source,
            line.venue or "",
            line.status,
        )
    console.print(table)


def _aware(moment: datetime, zone: tzinfo) -> datetime:
    """A time typed without a zone is read in the city's."""
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


@app.command()
def health(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """PostgreSQL, Redis, workers and beat, as `GET /health/ready` checks them.
    Exits 1 if one of them fails."""
    from sqlalchemy import text

    from almanac.core.readiness import readiness, worker_names
    from almanac.pipeline.sessions import sessions
    from almanac.worker.celery_app import app as celery

    settings = get_settings()

    def select_one() -> None:
        with sessions()() as session:
            session.execute(text("SELECT 1"))

    checks = readiness(
        select_one,
        settings.redis_url,
        lambda seconds: worker_names(celery.control.ping(timeout=seconds)),
        settings.beat_stale_after_seconds,
    )
    healthy = all(check.ok for check in checks.values())
    if as_json:
        print(json.dumps({name: asdict(check) for name, check in checks.items()}))
    else:
        table = Table("check", "ok", "detail")
        for name, check in checks.items():
            table.add_row(name, "yes" if check.ok else "NO", check.detail)
        console.print(table)
    if not healthy:
        raise typer.Exit(1)


def main() -> None:
    """Entry point: an error becomes one line and exit code 1, not a traceback
    (`ALMANAC_LOG_LEVEL=DEBUG` shows the traceback)."""
    try:
        app()
    except AlmanacError as exc:
        errors.print(f"almanac: {exc}")
        sys.exit(1)
    except Exception as exc:
        if _debugging():
            raise
        first_line = (str(exc).strip().splitlines() or [""])[0]
        errors.print(f"almanac: {type(exc).__name__}: {first_line}")
        sys.exit(1)


def _debugging() -> bool:
    try:
        return get_settings().log_level == "DEBUG"
    except AlmanacError:
        return False
