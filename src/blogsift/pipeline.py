"""The orchestrator: one run from the registry to the digest. Every stage is called from here, and no
stage module calls back into it.

Stages, each a module with a small contract (take records, return records or drop one with a reason):

1. sources    — enabled sources from the store (seeded from the registry on first use); sources marked
                gone (404/410) or paused (too many failures in a row) are skipped and reported.
2. fetch      — feeds with conditional GET (stored validators), per-host politeness, robots.txt,
                caps (``fetch.py``); parsed with feedparser (``feeds.py``). A feed answering 304, or
                the same bytes as last time, has nothing new and is not parsed.
3. extract    — each new post's page with trafilatura (``extract.py``) in a pool of worker processes
                (``extractpool.py``, ``fetch.extract_workers``), so the event loop keeps downloading
                while pages are parsed; a page that crashes, hangs or floods a worker costs only its
                post, which keeps the feed's content and a note. An extraction too short to be the
                article falls back to the feed's content, then to the title alone, and says so; a post
                with no date anywhere is kept but held back from the digest. Each post is committed on
                its own (by one store thread, off the loop), and a feed's validators are stored only
                after all its new posts are, so a run killed midway resumes where it stopped and loses
                nothing.
4. enrich     — code / checkpoint / paper links, series, canonical URL, near-duplicates (``enrich.py``).
5. classify   — in scope?, track, area, with confidences (``classify.py``).
6. rank       — importance and popularity score with its breakdown (``rank.py``, ``popularity.py``).
                Stages 4–6 run only for posts whose content or model changed since their records were
                made (``curation.py``), in batches of full posts; the period is otherwise held as outlines.
7. select     — per month: threshold, quotas, a person's decisions always win (``select.py``);
                selected posts become digest entries; an entry a person touched is never rewritten.
8. summarize  — for new selections only: extractive by default, LLM when configured (requests
                overlap up to ``summary.llm_concurrency``); a person's summary is never replaced.
9. render     — the house Markdown (``digest``), or HTML / Atom / JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .config import Settings
from .coverage import record_feed, record_not_modified
from .errors import FeedError, FetchError, HTTPStatusError
from .extractpool import ExtractionLimits, ExtractionPool, default_workers
from .models import FeedItem, Source
from .sourceset import ensure_registry
from .store import Store

__all__ = ["Pipeline", "RunReport", "month_bounds", "months_between"]

#: statuses after which a source is skipped until a person re-enables it (``sources`` shows them)
SKIPPED_STATUSES = ("gone", "paused")
#: pages downloaded but not yet extracted, per extraction worker: enough to keep every worker busy
#: while the next pages download, few enough that memory holds a handful of pages, not a whole run
PAGES_IN_FLIGHT_PER_WORKER = 4


@dataclass
class RunReport:
    sources_ok: list[str] = field(default_factory=list)
    sources_failed: dict[str, str] = field(default_factory=dict)
    sources_skipped: dict[str, str] = field(default_factory=dict)
    feeds_not_modified: int = 0
    feeds_unchanged: int = 0          # answered 200 with the same bytes as last time: not parsed
    requests: int = 0
    posts_new: int = 0
    posts_fallback: dict[str, str] = field(default_factory=dict)   # url -> why the page was not (fully) used
    posts_failed: dict[str, str] = field(default_factory=dict)
    posts_undated: int = 0            # held back from the digest until dated
    warnings: list[str] = field(default_factory=list)
    candidates: int = 0
    enriched: int = 0                 # records remade this run (the others were current)
    classified: int = 0
    ranked: int = 0
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
        self._ingest_users = 0
        self._extractor: ExtractionPool | None = None
        self._db_thread: ThreadPoolExecutor | None = None

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
        """Stages 4–8 over the period: only the records whose inputs changed are remade."""
        from .curation import (Plan, StageCounts, batches, curate_batch, plan_period, select_period,
                               summarize_selected, update_duplicates)

        store, settings = self.store, self.settings
        timed = functools.partial(self._timed, report)
        plan = timed("plan", lambda: Plan(store, settings))
        posts, report.posts_undated = timed("plan", lambda: plan_period(plan, since, until))
        report.candidates = len(posts)
        if not posts:
            return
        counts = StageCounts()
        for batch in batches([p for p in posts if p.any]):
            curate_batch(plan, batch, counts, timed)
        report.enriched, report.classified, report.ranked = counts.enriched, counts.classified, counts.ranked
        if counts.enriched:
            timed("duplicates", lambda: update_duplicates(store, since, until))
        selected = timed("select", lambda: select_period(store, settings, since, until))
        report.selected = len(selected)
        outcome = timed("summarize", lambda: summarize_selected(store, settings, selected))
        report.summarized = outcome.summarized
        report.warnings += outcome.warnings

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

        fetcher = Fetcher(self.settings.fetch, transport=self.transport)
        try:
            async with self.ingesting():
                sources = []
                for s in await self.in_store_thread(self.store.list_sources, enabled_only=True):
                    status = await self.in_store_thread(self.store.source_status, s.key)
                    if status.get("status") in SKIPPED_STATUSES:
                        report.sources_skipped[s.key] = f"skipped: source is {status.get('status')} " \
                                                        f"({status.get('last_error')})"
                        continue
                    sources.append(s)
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

    async def in_store_thread(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``, a store call, off the event loop: in the store thread while
        :meth:`ingesting` is on (one writer for SQLite), else in the loop's default executor. A store
        call on the loop would freeze every download and timer for as long as the database makes it
        wait (another writer's lock: seconds)."""
        return await asyncio.get_running_loop().run_in_executor(self._db_thread,
                                                                functools.partial(fn, *args, **kwargs))

    async def _fetch_source(self, fetcher: Any, source: Source, report: RunReport) -> None:
        from .feeds import parse_feed

        store = self.store
        try:
            validators = await self.in_store_thread(store.get_validators, source.feed_url)
            result = await fetcher.get(source.feed_url, source=source.key, validators=validators)
            if result.not_modified or result.same_content:
                # nothing new: a feed's validators are stored only once all its posts are
                if result.not_modified:
                    report.feeds_not_modified += 1
                else:
                    report.feeds_unchanged += 1
                await self.in_store_thread(record_not_modified, store, source.key,
                                           (validators or {}).get("fetched_at"), datetime.now(UTC))
                await self.in_store_thread(store.set_source_status, source.key, "ok", None)
                report.sources_ok.append(source.key)
                return
            parsed = await asyncio.to_thread(parse_feed, result.content, result.final_url, source=source.key,
                                             headers=result.headers)
            for w in parsed.warnings:
                report.warnings.append(f"{source.key}: {w}")
            await self.ingest(fetcher, source, parsed.items[: self.settings.fetch.max_posts_per_source], report)
            await self.in_store_thread(record_feed, store, source.key, [it.published for it in parsed.items],
                                       len(parsed.items), datetime.now(UTC))
            # validators last: if the run dies before this, the next run sees the feed again (no 304)
            await self.in_store_thread(store.put_validators, source.feed_url, result.etag, result.last_modified,
                                       result.status, result.content_hash)
            await self.in_store_thread(store.set_source_status, source.key, "ok", None)
            report.sources_ok.append(source.key)
        except HTTPStatusError as exc:
            status = "gone" if exc.status in (404, 410) else "error"
            await self.in_store_thread(self._source_failed, source, status, str(exc), report)
        except (FetchError, FeedError) as exc:
            await self.in_store_thread(self._source_failed, source, "error", str(exc), report)

    async def ingest(self, fetcher: Any, source: Source, items: list[FeedItem], report: RunReport) -> list[FeedItem]:
        """Fetch, extract and store those of ``items`` not stored yet; returns them. The one way a post
        enters the store, whoever found it (a run, the watcher, a backfill, a queued job)."""
        async with self.ingesting():
            known = await self.in_store_thread(self.store.existing_urls,
                                               [self._canonical(it.url) for it in items])
            new_items = [it for it in items if self._canonical(it.url) not in known]
            await asyncio.gather(*(self._new_post(fetcher, source, it, report) for it in new_items))
        return new_items

    @contextlib.asynccontextmanager
    async def ingesting(self, *, start_workers: bool = False):
        """The extraction pool, the store thread and the bound on pages in flight: the run's when one
        is on (``fetch_all``), else made for this call and closed after it. A long-lived caller (a
        queue worker, the watcher) holds it open so that its workers start once, not per call, and
        with ``start_workers`` has them started and warmed before it takes work."""
        if self._ingest_users == 0:
            fs = self.settings.fetch
            workers = fs.extract_workers or default_workers()
            # one thread does every store call of the fetch stage: the loop never waits on the
            # database, and SQLite sees one writer
            self._db_thread = ThreadPoolExecutor(1, thread_name_prefix="blogsift-store")
            self._pages_in_flight = asyncio.Semaphore(workers * PAGES_IN_FLIGHT_PER_WORKER)
            self._extractor = ExtractionPool(workers, ExtractionLimits(
                timeout_s=fs.extract_timeout, max_bytes=fs.extract_max_bytes, memory_mb=fs.extract_memory_mb,
                min_chars=fs.min_article_chars))
        self._ingest_users += 1
        try:
            if start_workers:
                await self._extractor.start()
            yield
        finally:
            self._ingest_users -= 1
            if self._ingest_users == 0:
                extractor, db_thread = self._extractor, self._db_thread
                self._extractor = self._db_thread = None
                await asyncio.get_running_loop().run_in_executor(None, extractor.close)
                db_thread.shutdown(wait=True)

    def _source_failed(self, source: Source, status: str, message: str, report: RunReport) -> None:
        self.store.set_source_status(source.key, status, message)
        if status == "error" and self.store.source_status(source.key).get("fail_count", 0) \
                >= self.settings.fetch.gone_after_failures:
            self.store.set_source_status(source.key, "paused", message)
        report.sources_failed[source.key] = message

    def _canonical(self, url: str) -> str:
        from .enrich import canonical_url
        return canonical_url(url)

    async def _new_post(self, fetcher: Any, source: Source, item: FeedItem, report: RunReport) -> None:
        """Fetch, extract (in a worker) and store one new post of a feed."""
        from .extract import feed_post

        async with self._pages_in_flight:
            if not self.settings.fetch.fetch_pages:
                post = feed_post(item.url, item, source, "pages are not fetched (fetch.fetch_pages is off)")
            else:
                try:
                    page = await fetcher.get(item.url, source=source.key)
                except FetchError as exc:
                    post = feed_post(item.url, item, source, f"page not fetched: {exc}")
                else:
                    # with a feed item, extraction never raises: the worst case is a title-only post, said so
                    post = await self._extractor.extract(page.content, item.url, item, source,
                                                         page.headers.get("content-type"))
        if post.extraction != "page" or post.extraction_note:
            report.posts_fallback[item.url] = post.extraction_note or post.extraction
        post.url = self._canonical(post.url or item.url)
        await self.in_store_thread(self.store.upsert_post, post)
        report.posts_new += 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)

