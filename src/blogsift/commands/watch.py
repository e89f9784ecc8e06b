"""``blogsift watch``, ``poll``, ``backfill``: feeds polled on their own schedule, past periods filled.

``status`` shows the per-source schedule through :func:`schedule_table` (called from ``core.status``).
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import BlogsiftError

console = Console(stderr=True, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)
    app.command("poll")(poll)
    app.command("backfill")(backfill)
    app.command("worker")(worker)


def _watcher():
    from ..cli import get_context
    from ..sourceset import ensure_registry
    from ..watch import Watcher

    ctx = get_context()
    store = ctx.store()
    ensure_registry(store, ctx.settings)
    return ctx, store, Watcher(store, ctx.settings, console=console)


def _print_pass(report) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    console.print(f"{when} polled {report.polled}: {report.new_posts} new posts, {report.not_modified} unchanged "
                  f"(304), {len(report.errors)} failed")
    for r in report.results:
        if r.outcome == "error":
            console.print(f"  [red]✗ {r.source}[/red]: {r.error}")
        if r.gap is not None:
            verdict = "filled from its sitemaps / paged feed" if r.gap_filled else "[yellow]NOT filled: posts may be missing[/yellow]"
            console.print(f"  ! {r.source}: its feed no longer reached back to the previous poll "
                          f"({r.gap[0]:%Y-%m-%d %H:%M} → {r.gap[1]:%Y-%m-%d %H:%M}); {verdict}")


def watch(
    in_process: bool = typer.Option(False, "--in-process",
                                    help="poll in this process even with a PostgreSQL store (no workers)"),
    max_runtime: Optional[float] = typer.Option(None, "--max-runtime", min=0,
                                                help="stop after this many seconds (default: until SIGTERM)"),
) -> None:
    """Poll every source on its own schedule until stopped (SIGTERM or Ctrl-C stop it cleanly).

    With the SQLite store the polls run in this process. With a PostgreSQL store this is the scheduler:
    due sources become jobs that `blogsift worker` processes run, on any number of machines.
    """
    from ..cli import fail

    ctx, store, watcher = _watcher()
    queued = store.dialect == "postgresql" and not in_process

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if max_runtime is not None:
            if max_runtime == 0:
                stop.set()
            loop.call_later(max_runtime, stop.set)
        if queued:
            from ..jobs import Scheduler
            console.print(f"scheduling polls of {len(store.list_sources(enabled_only=True))} sources as jobs "
                          f"(run `blogsift worker` to execute them); SIGTERM stops")
            await Scheduler(store, ctx.settings).run(stop)
        else:
            console.print(f"watching {len(store.list_sources(enabled_only=True))} sources; SIGTERM stops")
            await watcher.run(stop, on_pass=_print_pass)
        console.print("stopped")

    try:
        asyncio.run(main())
    except BlogsiftError as exc:
        raise fail(exc)


def poll(
    all_sources: bool = typer.Option(False, "--all", help="poll every source now, not only the due ones"),
    source: Optional[list[str]] = typer.Option(None, "--source", help="poll this source now (repeatable)"),
) -> None:
    """One pass: poll the sources that are due, then exit (for cron: `*/15 * * * * blogsift poll`)."""
    from ..cli import fail
    from ..errors import SourceError

    ctx, store, watcher = _watcher()
    try:
        keys = [s.key for s in store.list_sources(enabled_only=True)] if all_sources else list(source or [])
        for key in keys:
            if store.get_source(key) is None:
                raise SourceError(f"no source with key {key!r} (see `blogsift sources list`)", source=key)
            store.put_watch_state(key, next_poll_at=None)
        report = asyncio.run(watcher.poll_once())
    except BlogsiftError as exc:
        raise fail(exc)
    _print_pass(report)


def backfill(
    since: str = typer.Option(..., "--since", help="first day of the period (YYYY-MM-DD)"),
    until: str = typer.Option(..., "--until", help="last day of the period (YYYY-MM-DD), included"),
    source: Optional[list[str]] = typer.Option(None, "--source", help="only this source (repeatable)"),
) -> None:
    """Find and store the posts of a past period that feeds no longer list: from sitemaps, paged feeds
    (WordPress ?paged=N) and archive pages, as each source's registry entry allows."""
    from datetime import timedelta

    from ..backfill import run_backfill
    from ..cli import fail, get_context
    from ..sourceset import ensure_registry
    from .core import _parse_date

    ctx = get_context()
    start = _parse_date(since, "--since")
    end = _parse_date(until, "--until") + timedelta(days=1)
    if start >= end:
        raise fail("--since must not be after --until")
    try:
        store = ctx.store()
        ensure_registry(store, ctx.settings)
        results = run_backfill(store, ctx.settings, start, end, keys=source or None, now=datetime.now(UTC))
    except BlogsiftError as exc:
        raise fail(exc)
    table = Table("source", "found", "new", "methods", "coverage", title=f"backfill {since} … {until}")
    for r in results:
        table.add_row(r.source, str(r.found), str(r.new_posts), ", ".join(r.methods) or "-",
                      "complete" if r.complete else "[yellow]may have holes[/yellow]")
    Console().print(table)
    for r in results:
        for p in r.problems:
            console.print(f"[yellow]! {r.source}[/yellow]: {p}")


def worker(
    concurrency: Optional[int] = typer.Option(None, "--concurrency", "-c",
                                              help="jobs run at once (default: settings queue.worker_concurrency)"),
) -> None:
    """Run queued jobs (polls, page fetch + extraction, summaries) until SIGTERM. Needs a PostgreSQL
    store; start any number, on any machines that reach the database; `blogsift watch` schedules."""
    import logging

    from ..cli import fail, get_context
    from ..jobs import run_worker

    ctx = get_context()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        store = ctx.store()
        console.print(f"worker {os.getpid()} taking jobs from {store.engine.url.render_as_string()}")
        asyncio.run(run_worker(store, ctx.settings, concurrency=concurrency))
    except BlogsiftError as exc:
        raise fail(exc)
    console.print("stopped")


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    seconds = (when - now).total_seconds()
    past, s = seconds < 0, abs(seconds)
    text = f"{s / 86400:.1f} d" if s >= 86400 else f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.0f} min"
    return f"{text} ago" if past else f"in {text}"


def schedule_rows(store, now: datetime) -> list[dict]:
    """Per source: last poll, next poll, last new post, feed window, interval and a warning."""
    from ..coverage import FULL_FEED_MIN

    states = store.watch_states()
    rows = []
    for s in store.list_sources():
        st = states.get(s.key) or {}
        oldest, newest = st.get("feed_oldest"), st.get("feed_newest")
        window_days = (newest - oldest).total_seconds() / 86400 if oldest and newest else None
        interval = st.get("interval_s")
        warning = ""
        if window_days is not None and interval and (st.get("feed_entries") or 0) >= FULL_FEED_MIN \
                and interval > window_days * 86400:
            warning = (f"polled every {interval / 3600:.1f} h but the feed spans only {window_days * 24:.1f} h: "
                       f"posts may be missed")
        problems = st.get("problems") or []
        if problems and not warning:
            warning = problems[0]["what"]
        if st.get("last_outcome") == "error":
            warning = f"last poll failed: {st.get('last_error')}"
        rows.append({"source": s.key, "enabled": s.enabled, "last_poll": st.get("last_poll_at"),
                     "next_poll": st.get("next_poll_at"), "last_new_post": st.get("last_new_post_at"),
                     "window_days": window_days, "interval_s": interval, "reason": st.get("reason") or "",
                     "warning": warning})
    return rows


def schedule_table(store, now: datetime | None = None) -> Table:
    now = now or datetime.now(UTC)
    table = Table("source", "last poll", "next poll", "last new post", "feed window", "interval", "warning",
                  title="polling")
    for r in schedule_rows(store, now):
        window = f"{r['window_days']:.1f} d" if r["window_days"] is not None else "-"
        interval = f"{r['interval_s'] / 3600:.1f} h" if r["interval_s"] else "-"
        table.add_row(r["source"] + ("" if r["enabled"] else " (disabled)"), _ago(r["last_poll"], now),
                      _ago(r["next_poll"], now) if r["next_poll"] else "due", _ago(r["last_new_post"], now),
                      window, interval, f"[yellow]{r['warning']}[/yellow]" if r["warning"] else "")
    return table
