"""``blogsift run``, ``demo``, ``config``, ``status``: the main job and its surroundings."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ..config import settings_help
from ..errors import BlogsiftError

console = Console(stderr=True)
#: sources with holes named one per line after a run; the rest are counted (a first run of a big registry
#: has holes in every source before its feed's window)
COVERAGE_LINES = 20


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("demo")(demo)
    app.command("config")(config)
    app.command("status")(status)


def _parse_date(value: Optional[str], name: str) -> Optional[datetime]:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        from ..cli import fail
        raise fail(f"{name} must be a date like 2026-10-01, not {value!r}")


def period_from_options(since: Optional[str], until: Optional[str], month: Optional[str],
                        default_days: int = 31) -> tuple[datetime, datetime]:
    """The selection period from ``--month`` or ``--since/--until`` (default: the last month)."""
    from ..cli import fail
    from ..pipeline import month_bounds
    if month:
        try:
            return month_bounds(month)
        except ValueError:
            raise fail(f"--month must look like 2026-10, not {month!r}")
    end = _parse_date(until, "--until") or datetime.now(UTC)
    start = _parse_date(since, "--since") or end - timedelta(days=default_days)
    if start >= end:
        raise fail("--since must be before --until")
    return start, end


def print_report(report, output: Optional[Path], notes: list[str] = ()) -> None:
    table = Table(title="run", show_header=False)
    table.add_row("sources ok", str(len(report.sources_ok)))
    table.add_row("sources failed", str(len(report.sources_failed)))
    table.add_row("feeds unchanged (304)", str(report.feeds_not_modified))
    table.add_row("new posts", str(report.posts_new))
    table.add_row("candidates in period", str(report.candidates))
    table.add_row("selected", str(report.selected))
    table.add_row("time", f"{report.elapsed_s:.1f} s")
    console.print(table)
    for key, msg in sorted(report.sources_failed.items()):
        console.print(f"[red]✗ {key}[/red]: {msg}", highlight=False)
    for key, msg in sorted(report.sources_skipped.items()):
        console.print(f"[yellow]- {key}[/yellow]: {msg}", highlight=False)
    for url, msg in sorted(report.posts_fallback.items()):
        console.print(f"[yellow]! {url}[/yellow]: {msg}", highlight=False)
    for msg in report.warnings:
        if msg.startswith("kept the person's edit"):   # a person edited it while the run worked on it
            console.print(f"[yellow]{msg}[/yellow]", highlight=False)
    for note in notes:
        console.print(f"[yellow]! figure[/yellow] {note}", highlight=False)
    if output:
        console.print(f"digest written to [bold]{output}[/bold]")


def print_merge(result, path: Path) -> None:
    """What a merge into a digest file did: merged, kept of the person's, each conflict."""
    for line in result.report_lines(path):
        style = "yellow" if line.startswith(("conflict", "kept", "the file changed")) else \
            "red" if line.startswith("refused") else None
        console.print(f"[{style}]{line}[/{style}]" if style else line, highlight=False, markup=bool(style),
                      soft_wrap=True)


def run(
    since: Optional[str] = typer.Option(None, "--since", help="first day of the period (YYYY-MM-DD)"),
    until: Optional[str] = typer.Option(None, "--until", help="day after the period (YYYY-MM-DD)"),
    month: Optional[str] = typer.Option(None, "--month", help="the period as a month (YYYY-MM)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="digest file (default: settings digest.output)"),
    no_fetch: bool = typer.Option(False, "--no-fetch", help="curate what is stored, fetch nothing"),
    as_json: bool = typer.Option(False, "--json", help="print the run report as JSON on stdout"),
) -> None:
    """Fetch the configured sources, curate the period and write the digest."""
    from ..cli import fail, get_context
    from ..pipeline import Pipeline
    from ..publish import write_digest
    ctx = get_context()
    start, end = period_from_options(since, until, month)
    out = output or Path(ctx.settings.digest.output)
    try:
        store = ctx.store()
        with store.run_lock():   # the digest write too: a second run waits its turn
            report = Pipeline(store, ctx.settings, console=console).run(since=start, until=end,
                                                                        fetch=not no_fetch)
            print_coverage(store, start, end)  # before the digest is written: a period with holes is said first
            notes: list[str] = []
            merged = write_digest(store, ctx.settings, out, notes=notes)
    except BlogsiftError as exc:
        raise fail(exc)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, default=str))
    print_report(report, out, notes)
    print_merge(merged, out)


def print_coverage(store, start: datetime, end: datetime, keys: list[str] | None = None) -> bool:
    """Say per source whether the period's posts are all known; True when some may be missing."""
    from ..coverage import period_coverage
    verdicts = period_coverage(store, start, end, datetime.now(UTC), keys)
    holes = [v for v in verdicts if not v.complete]
    console.print(f"coverage of {start:%Y-%m-%d} … {end:%Y-%m-%d}: {len(verdicts) - len(holes)} of {len(verdicts)} "
                  f"sources complete")
    for v in holes[:COVERAGE_LINES]:
        console.print(f"[yellow]! {v.source}[/yellow]: {v.describe()}", highlight=False)
    if len(holes) > COVERAGE_LINES:
        console.print(f"[yellow]! … and {len(holes) - COVERAGE_LINES} more sources[/yellow] (`blogsift status`)")
    if holes:
        console.print("`blogsift backfill --since … --until …` fills these where a sitemap, paged feed or archive "
                      "lists the posts; `blogsift watch` keeps coverage complete from now on", highlight=False)
    return bool(holes)


def demo(
    output: Path = typer.Option(Path("demo-digest.md"), "--output", "-o", help="where to write the digest"),
    db: Optional[str] = typer.Option(None, "--demo-db", help="store for the demo: a SQLite path or a store URL "
                                                              "(default: the global --db when given, else a fresh "
                                                              "temp file)"),
    as_json: bool = typer.Option(False, "--json", help="print the run report as JSON on stdout"),
) -> None:
    """Serve the bundled demo blogs on 127.0.0.1 and run the whole pipeline against them."""
    from ..cli import fail, get_context
    from ..demorun import run_demo
    ctx = get_context()
    # the global --db names the demo's store too; $BLOGSIFT_DB alone does not, so that the demo's
    # fictional posts never land in the store a user keeps in their environment
    db = db or (ctx.db if ctx.db_on_command_line else None)
    t = time.perf_counter()
    try:
        notes: list[str] = []
        report, n_posts = run_demo(ctx.settings, output, db_path=db, console=console, notes=notes)
    except BlogsiftError as exc:
        raise fail(exc)
    wall = time.perf_counter() - t
    if as_json:
        typer.echo(json.dumps({**report.as_dict(), "wall_s": wall}, ensure_ascii=False, default=str))
    print_report(report, output, notes)
    console.print(f"{n_posts} posts in {wall:.1f} s ({n_posts / wall:.1f} posts/s)")


def config() -> None:
    """Print every setting with its current value and what it does."""
    from ..cli import get_context
    table = Table("setting", "value", "help")
    for key, value, help_text in settings_help(get_context().settings):
        table.add_row(key, repr(value), help_text)
    Console().print(table)


def status() -> None:
    """Show the store's content and the last runs."""
    from ..cli import get_context
    store = get_context().store()
    c = Console()
    c.print(f"store: {store.url} (schema v{store.schema_version()})")
    c.print(f"posts: {store.count_posts()}, digest entries: {len(store.list_entries())}, "
            f"decisions: {len(store.all_decisions())}")
    for r in store.last_runs(5):
        c.print(f"run {r['id']}: {r['status']} at {r['started_at']:%Y-%m-%d %H:%M}")
    from .watch import schedule_table
    c.print(schedule_table(store))
