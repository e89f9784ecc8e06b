"""The orchestrator: one run from the registry to the digest.

Stages, each a module with a small contract (take records, return records or drop one with a reason):

1. sources    — enabled sources from the store (seeded from the registry on first use); sources marked
                gone (404/410) or paused (too many failures in a row) are skipped and reported.
2. fetch      — feeds with conditional GET (stored validators), per-host politeness, robots.txt,
                caps (``fetch.py``); parsed with feedparser (``feeds.py``).
3. extract    — each new post's page with trafilatura (``extract.py``); an extraction too short to be
                the article falls back to the feed's content, then to the title alone, and says so.
                Each post is committed on its own, and a feed's validators are stored only after all
                its new posts are, so a run killed midway resumes where it stopped and loses nothing.
4. enrich     — code / checkpoint / paper links, series, canonical URL, near-duplicates (``enrich.py``).
5. classify   — in scope?, track, area, with confidences (``classify.py``).
6. rank       — importance and popularity score with its breakdown (``rank.py``, ``popularity.py``).
7. select     — per month: threshold, quotas, a person's decisions always win (``select.py``);
                selected posts become digest entries; an entry a person touched is never rewritten.
8. summarize  — extractive by default, LLM when configured; a person's summary is never replaced.
9. render     — the house Markdown (``digest``), or HTML / Atom / JSON.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .config import Settings
from .coverage import record_feed, record_not_modified
from .errors import FeedError, FetchError, HTTPStatusError
from .models import FeedItem, Source
from .sourceset import ensure_registry
from .store import Store

__all__ = ["Pipeline", "RunReport", "month_bounds", "months_between"]

#: statuses after which a source is skipped until a person re-enables it (``sources`` shows them)
SKIPPED_STATUSES = ("gone", "paused")


@dataclass
class RunReport:
    sources_ok: list[str] = field(default_factory=list)
    sources_failed: dict[str, str] = field(default_factory=dict)
    sources_skipped: dict[str, str] = field(default_factory=dict)
    feeds_not_modified: int = 0
    requests: int = 0
    posts_new: int = 0
    posts_fallback: dict[str, str] = field(default_factory=dict)   # url -> why the page was not used
    posts_failed: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    candidates: int = 0
    selected: int = 0
    summarized: int = 0
    elapsed_s: float = 0.0
    stage_s: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict
        return asdict(self)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``"2026-10"`` → [2026-10-01, 2026-11-01) in UTC."""
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC)
    return start, end


def months_between(since: datetime, until: datetime) -> list[str]:
    out, y, m = [], since.year, since.month
    while datetime(y, m, 1, tzinfo=UTC) < until:
        out.append(f"{y:04d}-{m:02d}")
        y, m = y + (m == 12), m % 12 + 1
    return out


class Pipeline:
    """One configured run. ``Pipeline(store, settings).run(since=..., until=...)``."""

    def __init__(self, store: Store, settings: Settings, *, transport: Any = None,
                 console: Console | None = None, progress: bool | None = None):
        self.store = store
        self.settings = settings
        self.transport = transport
        self.console = console or Console(stderr=True)
        self.show_progress = self.console.is_terminal if progress is None else progress

    # -- orchestration --------------------------------------------------------------------------
    def run(self, *, since: datetime | None = None, until: datetime | None = None,
            fetch: bool = True) -> RunReport:
        with self.store.run_lock():   # one run per store at a time (RunLocked says who holds it)
            return self._run(since=since, until=until, fetch=fetch)

    def _run(self, *, since: datetime | None, until: datetime | None, fetch: bool) -> RunReport:
        report = RunReport()
        t0 = time.perf_counter()
        run_id = self.store.start_run()
        try:
            ensure_registry(self.store, self.settings)
            if fetch:
                self._timed(report, "fetch", lambda: asyncio.run(self.fetch_all(report)))
            self.curate(report, since=since, until=until)
        except BaseException:
            report.elapsed_s = time.perf_counter() - t0
            self.store.finish_run(run_id, "failed", _jsonable(report.as_dict()))
            raise
        report.elapsed_s = time.perf_counter() - t0
        self.store.finish_run(run_id, "done", _jsonable(report.as_dict()))
        return report

    def curate(self, report: RunReport, *, since: datetime | None, until: datetime | None) -> None:
        from .curation import curate_period
        curate_period(self, report, since=since, until=until)

    @staticmethod
    def _timed(report: RunReport, stage: str, fn: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        try:
            return fn()
        finally:
            report.stage_s[stage] = report.stage_s.get(stage, 0.0) + time.perf_counter() - t

    def _progress(self) -> Progress:
        return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=self.console, disable=not self.show_progress,
                        transient=True)

    # -- fetch + extract ----------------------------------------------------------------------
    async def fetch_all(self, report: RunReport) -> None:
        from .fetch import Fetcher

        sources = []
        for s in self.store.list_sources(enabled_only=True):
            status = self.store.source_status(s.key).get("status")
            if status in SKIPPED_STATUSES:
                report.sources_skipped[s.key] = f"skipped: source is {status} " \
                                                f"({self.store.source_status(s.key).get('last_error')})"
                continue
            sources.append(s)
        fetcher = Fetcher(self.settings.fetch, transport=self.transport)
        try:
            with self._progress() as progress:
                task = progress.add_task("fetching sources", total=len(sources))

                async def one(source: Source) -> None:
                    try:
                        await self._fetch_source(fetcher, source, report)
                    finally:
                        progress.advance(task)

                await asyncio.gather(*(one(s) for s in sources))
        finally:
            await fetcher.aclose()
            report.requests += getattr(fetcher, "request_count", 0)

    async def _fetch_source(self, fetcher: Any, source: Source, report: RunReport) -> None:
        from .feeds import parse_feed

        store = self.store
        try:
            validators = store.get_validators(source.feed_url)
            result = await fetcher.get(source.feed_url, source=source.key, validators=validators)
            if result.not_modified:
                record_not_modified(store, source.key, (validators or {}).get("fetched_at"), datetime.now(UTC))
                report.feeds_not_modified += 1
                store.set_source_status(source.key, "ok", None)
                report.sources_ok.append(source.key)
                return
            parsed = parse_feed(result.content, result.final_url, source=source.key, headers=result.headers)
            for w in parsed.warnings:
                report.warnings.append(f"{source.key}: {w}")
            await self.ingest(fetcher, source, parsed.items[: self.settings.fetch.max_posts_per_source], report)
            record_feed(store, source.key, [it.published for it in parsed.items], len(parsed.items), datetime.now(UTC))
            # validators last: if the run dies before this, the next run sees the feed again (no 304)
            store.put_validators(source.feed_url, result.etag, result.last_modified, result.status,
                                 result.content_hash)
            store.set_source_status(source.key, "ok", None)
            report.sources_ok.append(source.key)
        except HTTPStatusError as exc:
            status = "gone" if exc.status in (404, 410) else "error"
            self._source_failed(source, status, str(exc), report)
        except (FetchError, FeedError) as exc:
            self._source_failed(source, "error", str(exc), report)

    async def ingest(self, fetcher: Any, source: Source, items: list[FeedItem], report: RunReport) -> list[FeedItem]:
        """Fetch, extract and store those of ``items`` not stored yet; returns them. The one way a post
        enters the store, whoever found it (a run, the watcher, a backfill, a queued job)."""
        new_items = [it for it in items if not self.store.post_exists(self._canonical(it.url))]
        pages = await self._fetch_pages(fetcher, source, new_items) if self.settings.fetch.fetch_pages \
            else [None] * len(new_items)
        for item, page in zip(new_items, pages):
            self._store_post(source, item, page, report)
        return new_items

    def _source_failed(self, source: Source, status: str, message: str, report: RunReport) -> None:
        self.store.set_source_status(source.key, status, message)
        if status == "error" and self.store.source_status(source.key).get("fail_count", 0) \
                >= self.settings.fetch.gone_after_failures:
            self.store.set_source_status(source.key, "paused", message)
        report.sources_failed[source.key] = message

    async def _fetch_pages(self, fetcher: Any, source: Source, items: list[FeedItem]) -> list[Any]:
        if not items:
            return []
        return await fetcher.get_many([(it.url, source.key) for it in items])

    def _canonical(self, url: str) -> str:
        from .enrich import canonical_url
        return canonical_url(url)

    def _store_post(self, source: Source, item: FeedItem, page: Any, report: RunReport) -> None:
        from .extract import extract_post

        html: str | bytes = ""
        content_type = None
        note = ""
        if isinstance(page, BaseException):
            note = f"page not fetched: {page}"
        elif page is not None:
            html, content_type = page.content, page.headers.get("content-type")
        # with a feed item, extraction never raises: the worst case is a title-only post, said so
        post = extract_post(html, item.url, item, source, self.settings.fetch.min_article_chars,
                            content_type=content_type)
        if note:
            post.extraction_note = "; ".join(x for x in (note, post.extraction_note) if x)
        if post.extraction != "page" or post.extraction_note:
            report.posts_fallback[item.url] = post.extraction_note or post.extraction
        post.url = self._canonical(post.url or item.url)
        self.store.upsert_post(post)
        report.posts_new += 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)

