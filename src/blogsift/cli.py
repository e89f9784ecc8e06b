"""The ``blogsift`` command: a thin layer that builds objects, calls the library, and turns
domain errors into clean messages. Every verb has ``--help``.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from .config import Settings, load_settings
from .errors import BlogsiftError
from .store import Store

__all__ = ["app", "main", "get_context", "Context", "fail"]

app = typer.Typer(
    name="blogsift",
    help="Curate the important AI & ML blog posts into a house-format digest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)

#: command modules; each exposes register(app)
COMMAND_MODULES = ["core", "sources", "digest", "curate", "summarize", "review", "watch"]


def store_url(db: str) -> str:
    """``--db`` as a store URL: a plain path means a SQLite file."""
    return db if "://" in db else f"sqlite:///{Path(db)}"


@dataclass
class Context:
    settings: Settings
    db: Optional[str] = None
    #: ``--db`` was given on the command line (not only through $BLOGSIFT_DB)
    db_on_command_line: bool = False
    _store: Optional[Store] = field(default=None, repr=False)

    def store(self) -> Store:
        if self._store is None:
            self._store = Store(store_url(self.db or self.settings.db_url()))
        return self._store


_context: Optional[Context] = None


def get_context() -> Context:
    global _context
    if _context is None:
        _context = Context(settings=load_settings())
    return _context


def fail(exc: BaseException | str, code: int = 1) -> typer.Exit:
    """Print a domain error cleanly to stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, markup=True, soft_wrap=True) \
        if not isinstance(exc, str) else err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
    return typer.Exit(code)


@app.callback()
def _root(
    cli_ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", envvar="BLOGSIFT_DB",
                                     help="store: a SQLite file path or an SQLAlchemy URL "
                                          "(default: blogsift.db in the data dir)"),
    config: Optional[Path] = typer.Option(None, "--config", envvar="BLOGSIFT_CONFIG",
                                          help="settings TOML (default: ./blogsift.toml if present)"),
) -> None:
    global _context
    try:
        settings = load_settings(config)
    except BlogsiftError as exc:
        raise fail(exc)
    if db:   # every command, and every setting printed, sees the store the user named
        settings.store.url = store_url(db)
    source = cli_ctx.get_parameter_source("db")
    _context = Context(settings=settings, db=db,
                       db_on_command_line=bool(db) and getattr(source, "name", "") == "COMMANDLINE")


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"blogsift.commands.{name}").register(app)


_register_all()


def main() -> None:
    try:
        app()
    except BlogsiftError as exc:  # last resort: no traceback for a domain error
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
