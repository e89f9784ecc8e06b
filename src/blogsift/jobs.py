"""Polling, page fetching + extraction and summarizing as jobs on a task queue, for a team server.

Why procrastinate: the jobs live in the PostgreSQL database the store already uses, so a team server
adds no broker (Celery and Dramatiq need Redis or RabbitMQ, one more server to run, secure and back
up), a job is deferred in the same database the post lands in, and procrastinate brings what this
needs: retries with backoff, queueing locks (one pending poll per source, one pending fetch per URL),
periodic tasks deferred once cluster-wide, worker heartbeats to find the jobs of a dead worker, and
an asyncio worker that runs blogsift's async fetcher as is. With the default SQLite store there is no
queue: ``blogsift watch`` runs the same work in-process (``Watcher`` with the pipeline's ``ingest``).

The jobs:

* ``blogsift.poll`` (queue ``poll``): one source's feed, as :meth:`Watcher.poll_source` does it, except
  that each new post becomes a ``blogsift.fetch_post`` job instead of being fetched there;
* ``blogsift.fetch_post`` (queue ``pages``): fetch, extract and store one post
  (:meth:`Pipeline.ingest`, the path every post takes); a stored post is never fetched again, so a
  job run twice stores nothing twice;
* ``blogsift.summarize`` (queue ``summaries``): the machine summary of a new post, ready for the run
  that selects it (never over a person's summary);
* ``blogsift.schedule`` (periodic, every minute, deferred once cluster-wide): the scheduler's tick, so
  workers alone keep polling; ``blogsift watch`` on PostgreSQL ticks more often
  (``queue.scheduler_tick_s``).

The scheduler's tick defers a poll for each due source (claimed in the store, so two schedulers never
poll one source twice) and hands the jobs of workers silent for ``queue.stalled_after_s`` (killed,
machine lost) back to the queue. Per-host politeness holds across workers (``hostlease.py``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate

from .config import Settings
from .enrich import canonical_url
from .errors import StoreError
from .hostlease import PgHostGate, conninfo_from_url, idle_checked_pool
from .models import FeedItem, Source

__all__ = ["build_app", "Scheduler", "run_worker", "ensure_queue_schema", "JobRuntime"]

#: seconds a worker's fetch jobs reuse a source's row: a worker runs dozens of jobs a second for one
#: source, and what they read of it (its key, kind, language) rarely changes
SOURCE_CACHE_S = 30.0
#: the procrastinate schema is applied once, under this advisory lock, by whichever process comes first
_SCHEMA_LOCK = 0x70726F63  # "proc"


def _item_args(item: FeedItem) -> dict:
    d = asdict(item)
    d["published"] = item.published.isoformat() if item.published else None
    return d


def _item_from(args: dict) -> FeedItem:
    args = dict(args)
    if args.get("published"):
        args["published"] = datetime.fromisoformat(args["published"])
    return FeedItem(**args)


class JobRuntime:
    """What a worker process's jobs share: the store, the settings, one fetcher (renewed hourly) and
    a pipeline whose extraction pool has ``queue.extract_workers`` processes (a worker is the unit of
    scale-out, one per core: with a pool of a process per core, one worker alone would already spread
    over every core and a second one on the same machine would only contend with it)."""

    def __init__(self, store, settings: Settings, host_gate: Any = None, transport: Any = None):
        from .fetch import Fetcher
        from .pipeline import Pipeline
        from .watch import RenewedFetcher

        self.store, self.settings, self.host_gate, self.transport = store, settings, host_gate, transport
        extraction = replace(settings, fetch=replace(settings.fetch, extract_workers=settings.queue.extract_workers))
        self.pipeline = Pipeline(store, extraction, transport=transport, progress=False)
        self._sources: dict[str, tuple[float, Source | None]] = {}
        self._fetchers = RenewedFetcher(lambda: Fetcher(settings.fetch, transport=transport, host_gate=host_gate))

    def fetcher(self):
        return self._fetchers.get()

    async def source(self, key: str) -> Source | None:
        """The source, read at most every ``SOURCE_CACHE_S`` seconds (every fetch job needs it)."""
        now = time.monotonic()
        hit = self._sources.get(key)
        if hit is None or hit[0] < now:
            source = await self.pipeline.in_store_thread(self.store.get_source, key)
            hit = self._sources[key] = (now + SOURCE_CACHE_S, source)
        return hit[1]

    async def aclose(self) -> None:
        await self._fetchers.aclose()


def build_app(db_url: str, settings: Settings, runtime: JobRuntime | None = None) -> procrastinate.App:
    """The queue app over the store's PostgreSQL database, its tasks registered. ``runtime`` is what
    the tasks run with (a worker's); an app without one only defers jobs."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo_from_url(db_url),
                                                                     pool_factory=idle_checked_pool))
    retry = procrastinate.RetryStrategy(max_attempts=max(0, settings.queue.job_retries), wait=5,
                                        exponential_wait=2)

    def rt() -> JobRuntime:
        if runtime is None:
            raise StoreError("this process only defers jobs; `blogsift worker` runs them")
        return runtime

    @app.task(name="blogsift.fetch_post", queue="pages", retry=retry)
    async def fetch_post(source_key: str, item: dict) -> str:
        r = rt()
        source = await r.source(source_key)
        if source is None:
            return "source removed"
        from .pipeline import RunReport
        new = await r.pipeline.ingest(r.fetcher(), source, [_item_from(item)], RunReport())
        if new and settings.queue.summarize_new_posts:
            await _defer(summarize, f"summary:{canonical_url(new[0].url)}", url=new[0].url)
        return "stored" if new else "already stored"

    @app.task(name="blogsift.summarize", queue="summaries", retry=retry)
    async def summarize(url: str) -> str:
        r = rt()
        return await asyncio.to_thread(_summarize, r.store, r.settings, url)

    async def defer_ingest(fetcher, source: Source, items: list[FeedItem], report=None) -> list[FeedItem]:
        r = rt()
        stored = await r.pipeline.in_store_thread(r.store.existing_urls, [canonical_url(it.url) for it in items])
        new = [it for it in items if canonical_url(it.url) not in stored]
        for it in new:
            await _defer(fetch_post, f"post:{canonical_url(it.url)}", source_key=source.key, item=_item_args(it))
        return new

    @app.task(name="blogsift.poll", queue="poll", retry=retry)
    async def poll(source_key: str) -> str:
        from .watch import Watcher
        r = rt()
        source = await r.pipeline.in_store_thread(r.store.get_source, source_key)
        if source is None or not source.enabled:
            return "source removed or disabled"
        watcher = Watcher(r.store, r.settings, transport=r.transport, host_gate=r.host_gate, ingest=defer_ingest)
        result = await watcher.poll_source(r.fetcher(), source)
        return f"{result.outcome}: {result.new_posts} new"

    @app.periodic(cron="* * * * *", periodic_id="tick")
    @app.task(name="blogsift.schedule", queue="schedule", queueing_lock="schedule", pass_context=False)
    async def schedule(timestamp: int) -> str:
        r = rt()
        return f"{await scheduler_tick(app, r.store, r.settings)} polls deferred"

    app.blogsift_poll = poll  # type: ignore[attr-defined]  # the scheduler defers this one
    return app


async def _defer(task, lock: str, **kwargs: Any) -> bool:
    """Defer unless a job with the same lock is already waiting (then it will do the same work)."""
    try:
        await task.configure(queueing_lock=lock[:128]).defer_async(**kwargs)
        return True
    except procrastinate.exceptions.AlreadyEnqueued:
        return False


def _summarize(store, settings: Settings, url: str) -> str:
    from .enrich import enrich
    from .summarize import make_summarizer

    post = store.get_post(canonical_url(url))
    if post is None or post.id is None:
        return "post not stored"
    existing = store.get_summary(post.id)
    if existing is not None and (existing.by_person or existing.lang == settings.summary.lang):
        return "already summarized"
    summary = make_summarizer(settings, store=store).summarize(post, enrich(post), lang=settings.summary.lang)
    # written only over the summary read before summarizing: a person's edit meanwhile stands
    written = store.put_summary(post.id, summary, expect_version=existing.version if existing else 0)
    return "summarized" if written else "kept the person's summary"


async def scheduler_tick(app: procrastinate.App, store, settings: Settings, now: datetime | None = None) -> int:
    """Retry the jobs of dead workers, then defer a poll for every due source; returns how many."""
    manager = app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=settings.queue.stalled_after_s):
        try:
            await manager.retry_job(job)
        except procrastinate.exceptions.ConnectorException:
            pass  # it finished (or another scheduler retried it) since it was listed
    now = now or datetime.now(UTC)
    # a claim outlives any poll; if its job is lost for good, the source falls due again after it
    lease = now + timedelta(minutes=max(settings.watch.min_interval_minutes, 1.0))
    deferred = 0
    # off the event loop: in a worker, the tick shares the loop with the running jobs
    claimed = await asyncio.to_thread(lambda: store.claim_sources(store.due_sources(now), now, lease))
    for key in claimed:
        deferred += await _defer(app.blogsift_poll, f"poll:{key}", source_key=key)
    return deferred


async def ensure_queue_schema(db_url: str) -> None:
    """Create procrastinate's tables once (the first worker or scheduler to start does it)."""
    import psycopg
    from procrastinate.schema import SchemaManager

    async with await psycopg.AsyncConnection.connect(conninfo_from_url(db_url), autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            cur = await conn.execute("SELECT to_regclass('procrastinate_jobs')")
            if (await cur.fetchone())[0] is None:
                await conn.execute(SchemaManager.get_schema())
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))


def _require_postgres(store) -> str:
    if store.dialect != "postgresql":
        raise StoreError("the task queue needs a PostgreSQL store (--db postgresql+psycopg://…); with SQLite, "
                         "`blogsift watch` runs the same work in this process", url=store.url)
    return store.engine.url.render_as_string(hide_password=False)


class Scheduler:
    """``blogsift watch`` on PostgreSQL: ticks every ``queue.scheduler_tick_s`` until stopped."""

    def __init__(self, store, settings: Settings):
        self.store, self.settings = store, settings
        self.db_url = _require_postgres(store)

    async def run(self, stop: asyncio.Event, on_tick=None) -> None:
        await ensure_queue_schema(self.db_url)
        app = build_app(self.db_url, self.settings)
        async with app.open_async():
            while not stop.is_set():
                deferred = await scheduler_tick(app, self.store, self.settings)
                if on_tick is not None:
                    on_tick(deferred)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.queue.scheduler_tick_s)
                except TimeoutError:
                    pass


async def run_worker(store, settings: Settings, *, concurrency: int | None = None, transport: Any = None) -> None:
    """Run jobs until SIGTERM/SIGINT (procrastinate's worker stops taking jobs and lets the running
    ones finish within ``watch.stop_timeout``)."""
    db_url = _require_postgres(store)
    await ensure_queue_schema(db_url)
    # import the heavy stages before taking jobs: an import inside the first job would block the event
    # loop for seconds, heartbeats included, and the worker would look dead to the scheduler
    from . import extract, feeds, summarize  # noqa: F401
    concurrency = concurrency or settings.queue.worker_concurrency
    gate = await PgHostGate(conninfo_from_url(db_url), settings.fetch.per_host_concurrency,
                            settings.fetch.per_host_delay, request_timeout=settings.fetch.total_timeout,
                            max_connections=concurrency + 2).open()
    runtime = JobRuntime(store, settings, host_gate=gate, transport=transport)
    app = build_app(db_url, settings, runtime)
    try:
        # the extraction pool and the store thread held for the worker's life, the pool started before
        # the first job: made per job (or on first use), pages would wait for fresh interpreters and
        # their imports (about a second)
        async with runtime.pipeline.ingesting(start_workers=True), app.open_async():
            await app.run_worker_async(
                concurrency=concurrency, name=f"blogsift-{socket.gethostname()}-{os.getpid()}",
                update_heartbeat_interval=max(0.5, settings.queue.stalled_after_s / 4),
                stalled_worker_timeout=settings.queue.stalled_after_s,
                shutdown_graceful_timeout=settings.watch.stop_timeout, install_signal_handlers=True)
    finally:
        await runtime.aclose()
        await gate.close()
