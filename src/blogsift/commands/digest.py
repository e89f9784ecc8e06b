"""``blogsift import-digest``, ``render``, ``publish``: the digest file as input and output."""

from __future__ import annotations

import re
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from ..errors import BlogsiftError, DigestFormatError

console = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(str, Enum):
    md = "md"
    html = "html"
    atom = "atom"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("import-digest")(import_digest_cmd)
    app.command("render")(render_cmd)
    app.command("publish")(publish_cmd)


def _month(month: Optional[str]) -> Optional[str]:
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        from ..cli import fail
        raise fail(f"--month must look like 2023-01, not {month!r}")
    return month


def _fail(exc: BlogsiftError) -> typer.Exit:
    from ..cli import fail
    return fail(exc)


def import_digest_cmd(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="a house-format digest file"),
) -> None:
    """Store every entry of an existing digest as accepted, human-written entries (labels and summaries).

    The file must come back byte for byte: anything that cannot is reported with its line number and
    nothing is stored.
    """
    from ..cli import get_context
    from ..digest import import_digest

    ctx = get_context()
    try:
        report = import_digest(ctx.store(), path)
    except BlogsiftError as exc:
        raise _fail(exc)
    console.print(f"imported [bold]{report.entries}[/bold] entries from {path} "
                  f"({report.new} new, {report.summaries} post summaries set from the file)")
    for line, why in report.notes:
        console.print(f"[yellow]note[/yellow] {path}:{line}: {why}")


def render_cmd(
    format: OutputFormat = typer.Option(OutputFormat.md, "--format", "-f", help="md, html, atom or json"),
    output: Path = typer.Option(..., "--output", "-o", help="file to write ('-' for standard output)"),
    month: Optional[str] = typer.Option(None, "--month", help="only the entries of this month (YYYY-MM)"),
) -> None:
    """Render the accepted entries: the house Markdown, a static HTML page, an Atom feed or JSON.

    Right after ``import-digest`` into an empty store, ``--format md`` gives the imported file back exactly.
    """
    from ..cli import get_context
    from ..digest import (atomic_write, entries_from_store, header_lines, render_atom, render_from_store,
                          render_html, render_json)

    ctx = get_context()
    month = _month(month)
    store = ctx.store()
    try:
        if format is OutputFormat.md:
            text = render_from_store(store, ctx.settings, month=month)
        else:
            entries = entries_from_store(store, month)
            header = header_lines(store, ctx.settings)
            if format is OutputFormat.html:
                base = output.parent if str(output) != "-" else Path.cwd()
                text = render_html(entries, header=header, base_dir=base)
            elif format is OutputFormat.atom:
                text = render_atom(entries, header=header)
            else:
                text = render_json(entries, header=header)
        if str(output) == "-":
            sys.stdout.write(text)
            return
        atomic_write(output, text, backup=False)
    except BlogsiftError as exc:
        raise _fail(exc)
    except OSError as exc:
        raise _fail(DigestFormatError(f"cannot write {output}: {exc.strerror}", path=str(output)))
    console.print(f"{format.value} written to [bold]{output}[/bold]")


def _warn_holes(store, month: Optional[str]) -> None:
    """Before publishing: say which sources may be missing posts of the month(s) being published (the
    month given, else the months of the machine's entries; imported months are the person's own)."""
    from ..pipeline import month_bounds
    from .core import print_coverage

    months = {month} if month else {e["month"] for e in store.list_entries() if e.get("origin") == "machine"}
    for m in sorted(months):
        start, end = month_bounds(m)
        if print_coverage(store, start, end):
            console.print(f"[yellow]warning:[/yellow] {m} may be missing posts of the sources above; "
                          f"publishing anyway")


def publish_cmd(
    into: Path = typer.Option(..., "--into", help="the digest file to add to (created if missing)"),
    month: Optional[str] = typer.Option(None, "--month", help="only the entries of this month (YYYY-MM)"),
) -> None:
    """Merge the accepted entries into a digest a person keeps: new entries go where the house order puts
    them, every hand edit stays. The previous file is kept as PATH.bak; the write is atomic."""
    from ..cli import get_context
    from ..digest import entries_from_store, header_lines, publish_into
    from ..figures import attach_figures

    ctx = get_context()
    month = _month(month)
    store = ctx.store()
    try:
        _warn_holes(store, month)   # before anything is written: a month with holes is said first
        # key figures (digest.images, or a person's pick) saved under images/ beside the file
        figures = attach_figures(store, ctx.settings, into.parent / "images", month=month)
        result = publish_into(into, entries_from_store(store, month), store,
                              header=header_lines(store, ctx.settings))
    except BlogsiftError as exc:
        raise _fail(exc)
    except OSError as exc:
        raise _fail(DigestFormatError(f"cannot write {into}: {exc.strerror}", path=str(into)))
    from .core import print_merge
    for note in figures.notes:
        console.print(f"[yellow]! figure[/yellow] {note}", highlight=False)
    print_merge(result, into)
