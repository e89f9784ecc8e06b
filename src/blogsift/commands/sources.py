"""``blogsift sources ...``: list, add, remove, import and export the watched blogs."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import BlogsiftError
from ..models import SOURCE_KINDS, Source
from ..sources import slugify, to_opml, validate_source
from ..sourceset import ensure_registry

sources_app = typer.Typer(help="List, add, remove, import and export the watched blogs.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")


def _store():
    from ..cli import get_context
    ctx = get_context()
    store = ctx.store()
    ensure_registry(store, ctx.settings)
    return store


@sources_app.command("list")
def list_sources() -> None:
    """Show every source with its status after the last run (tab-separated when piped)."""
    store = _store()
    header = ("key", "name", "org", "kind", "lang", "aws", "status", "last error")
    rows = []
    for s in store.list_sources():
        st = store.source_status(s.key)
        rows.append((s.key, s.name, s.org or "-", s.kind, s.lang, "yes" if s.aws else "no",
                     st.get("status", "") + ("" if s.enabled else " (disabled)"),
                     " ".join((st.get("last_error") or "").split())[:200]))
    console = Console()
    if not console.is_terminal:
        for row in (header, *rows):
            typer.echo("\t".join(row))
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@sources_app.command("add")
def add(
    feed_url: str = typer.Argument(..., help="the blog's RSS or Atom feed URL"),
    name: str = typer.Option(..., "--name", help="display name"),
    key: Optional[str] = typer.Option(None, "--key", help="stable id (default: from the name)"),
    org: Optional[str] = typer.Option(None, "--org", help="organisation shown in entry lines"),
    kind: str = typer.Option("company", "--kind", help=f"one of {', '.join(SOURCE_KINDS)}"),
    lang: str = typer.Option("en", "--lang", help="language of the blog"),
    aws: bool = typer.Option(False, "--aws", help="an AWS ML blog"),
    home_url: str = typer.Option("", "--home", help="the blog's home page"),
    reputation: float = typer.Option(0.6, "--reputation", help="prior quality of the source, 0..1"),
) -> None:
    """Add a blog to watch."""
    from ..cli import fail
    store = _store()
    try:
        source = validate_source(Source(key=key or slugify(name), name=name, feed_url=feed_url, home_url=home_url,
                                        org=org, kind=kind, lang=lang, aws=aws, reputation=reputation))
    except BlogsiftError as exc:
        raise fail(exc)
    store.upsert_source(source)
    typer.echo(f"added {source.key}")


@sources_app.command("remove")
def remove(key: str = typer.Argument(..., help="the source's key")) -> None:
    """Stop watching a blog (its stored posts stay)."""
    from ..cli import fail
    if not _store().remove_source(key):
        raise fail(f"no source with key {key!r}")
    typer.echo(f"removed {key}")


@sources_app.command("import-opml")
def import_opml(path: Path = typer.Argument(..., exists=True, dir_okay=False, help="OPML file"),
                lang: str = typer.Option("en", "--lang", help="language for outlines that do not say"),
                replace: bool = typer.Option(False, "--replace", help="replace a watched source that has the "
                                                                      "same key (otherwise you are asked, or, "
                                                                      "without a terminal, it is kept)")) -> None:
    """Add every feed of an OPML reading list (as feed readers export it).

    Each blog's kind (company, research, individual, project) comes from blogsift's own attribute, else
    the registry when it knows the blog, else the outline's category or folder; what is only guessed is
    listed. A feed already watched is skipped; a key already used by another source is never replaced
    silently."""
    from ..cli import fail, get_context
    from ..sources import read_opml, registry_resolver
    store = _store()
    try:
        resolver = registry_resolver(registry_path=get_context().settings.registry or None)
        imported = read_opml(path.read_bytes(), default_lang=lang, registry=resolver)
    except BlogsiftError as exc:
        raise fail(exc)
    watched = {s.feed_url for s in store.list_sources()}
    added, replaced, kept, guessed = 0, [], [], []
    for source, how in imported:
        if source.feed_url in watched:
            continue
        current = store.get_source(source.key)
        if current is not None:
            question = (f"'{source.key}' is already {current.name} ({current.feed_url}); "
                        f"replace it with {source.name} ({source.feed_url})?")
            if not (replace or (can_ask() and typer.confirm(question, default=False))):
                kept.append(f"{source.key}: kept {current.name} ({current.feed_url}), not {source.feed_url}")
                continue
            replaced.append(source.key)
        store.upsert_source(source)
        watched.add(source.feed_url)
        added += 1
        if how == "guess":
            guessed.append(f"{source.key}: filed as {source.kind} (nothing in the file or the registry says; "
                           f"change it with `sources add --kind`)")
    skipped = len(imported) - added - len(kept)
    typer.echo(f"imported {added} new sources ({skipped} already watched, {len(replaced)} replaced, "
               f"{len(kept)} kept because their key is taken)")
    for line in kept:
        typer.echo(f"  key taken: {line}; use --replace to replace it")
    for line in guessed:
        typer.echo(f"  {line}")


def can_ask() -> bool:
    """A person is at a terminal to answer (not a script or a pipe)."""
    import sys
    return sys.stdin.isatty()


@sources_app.command("export-opml")
def export_opml(output: Path = typer.Option(Path("-"), "--output", "-o", help="file, or - for stdout")) -> None:
    """Write the watched blogs as OPML."""
    text = to_opml(_store().list_sources())
    if str(output) == "-":
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
