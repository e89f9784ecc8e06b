"""The offline demo: the bundled fictional blogs served on 127.0.0.1, the real pipeline against them."""

from __future__ import annotations

import copy
import tempfile
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from .config import Settings
from .pipeline import Pipeline, RunReport
from .publish import write_digest
from .store import Store

__all__ = ["run_demo", "demo_settings"]


def demo_settings(settings: Settings) -> Settings:
    """The user's settings with what the demo needs: loopback allowed, no politeness delay
    (one local server), popularity and LLM off (no network)."""
    s = copy.deepcopy(settings)
    s.fetch.allow_private_addresses = True
    s.fetch.per_host_delay = 0.0
    s.fetch.per_host_concurrency = 8
    s.fetch.retries = 1
    s.fetch.backoff_base = 0.1
    s.curation.popularity = False
    s.summary.llm = False
    s.registry = ""
    s.digest.images = True      # the demo pages have architecture figures: show them under the entries
    return s


def run_demo(settings: Settings, output: Path, *, db_path: Path | str | None = None,
             console: Console | None = None, notes: list[str] | None = None) -> tuple[RunReport, int]:
    """Serve the demo web, run the pipeline into a store (a fresh temp SQLite file, or ``db_path``:
    a SQLite path or any store URL), write the digest to ``output``."""
    from .demo import demo_posts, demo_sources, serve_demo

    s = demo_settings(settings)
    posts = demo_posts()
    dates = [p.published for p in posts]
    since = min(dates).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    until = max(dates) + timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="blogsift-demo-") as tmp:
        url = str(db_path) if db_path and "://" in str(db_path) else f"sqlite:///{db_path or Path(tmp) / 'demo.db'}"
        store = Store(url)
        try:
            with store.run_lock(), serve_demo() as base_url:
                store.put_document("registry_seeded", "demo")
                for source in demo_sources(base_url):
                    store.upsert_source(source)
                report = Pipeline(store, s, console=console).run(since=since, until=until)
                # the demo's store is fresh each time, so it cannot tell its own last output from a
                # hand edit: it overwrites, and the previous file stays as OUTPUT.bak; its figures
                # come from the demo web, so it writes while that is served
                write_digest(store, s, output, force=True, notes=notes)
        finally:
            store.close()
    return report, report.posts_new
