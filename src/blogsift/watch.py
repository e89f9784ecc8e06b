"""Watching feeds: each source polled on its own adaptive schedule, its gaps found and filled.

One poll of a source (:meth:`Watcher.poll_source`):

1. fetch the feed with conditional GET (a 304 costs no body and proves nothing new appeared);
2. store its new posts through the pipeline's :meth:`~blogsift.pipeline.Pipeline.ingest`;
3. record what the feed showed as *coverage*: every post published between its oldest entry and now
   is known. A feed with fewer entries than any platform truncates to lists the whole blog;
4. if the feed no longer reaches back to the previous poll (the watcher was down, or a burst of posts
   overflowed it), backfill that gap from the source's sitemaps or paged feed (``backfill.py``); a
   source with neither keeps the gap, and ``status`` and the run report say so;
5. schedule the next poll (``schedule.py``) and store it, so a restarted watcher picks up where the
   last one stopped.

:meth:`Watcher.run` loops until stopped, sleeping until the next source is due. Time comes from a
:class:`Clock`; tests pass a :class:`SimulatedClock` and watch a month in seconds.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .config import Settings
from .coverage import FULL_FEED_MIN, feed_coverage, not_modified_coverage
from .errors import FeedError, FetchError, HTTPStatusError
from .fetch import retry_after_seconds
from .models import Source
from .schedule import (HISTORY_DAYS, Bounds, Decision, FeedWindow, Rate, failure_interval, feed_window,
                       history_rate, next_interval, server_hints)

__all__ = ["Clock", "SystemClock", "SimulatedClock", "PollResult", "PassReport", "Watcher"]

_TTL = re.compile(rb"<ttl>\s*(\d{1,7})\s*</ttl>", re.I)
#: sources falling due within this many seconds (at most a tenth of ``watch.min_interval_minutes``) are
#: polled in the same pass: a poll is at most that early against an interval of 15 minutes or more, and
#: a watcher over thousands of feeds wakes about once a minute, not once per feed, each wake scanning
#: the schedule
POLL_AHEAD_S = 60.0


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float, stop: asyncio.Event) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float, stop: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
        except TimeoutError:
            pass


class SimulatedClock:
    """A clock that jumps: ``sleep`` advances it at once. Thread-safe enough for a test server to read."""

    def __init__(self, start: datetime):
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        self._now = when

    async def sleep(self, seconds: float, stop: asyncio.Event) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


@dataclass
class PollResult:
    source: str
    outcome: str                 # ok | not_modified | error
    new_posts: int = 0
    interval_s: float = 0.0
    reason: str = ""
    error: str | None = None
    gap: tuple[datetime, datetime] | None = None   # the feed did not reach back to the previous poll
    gap_filled: bool | None = None


@dataclass
class PassReport:
    results: list[PollResult] = field(default_factory=list)
    requests: int = 0

    @property
    def polled(self) -> int:
        return len(self.results)

    @property
    def new_posts(self) -> int:
        return sum(r.new_posts for r in self.results)

    @property
    def not_modified(self) -> int:
        return sum(r.outcome == "not_modified" for r in self.results)

    @property
    def errors(self) -> dict[str, str]:
        return {r.source: r.error or "" for r in self.results if r.outcome == "error"}


#: a long-lived fetcher is replaced after this many seconds, so robots.txt is read again
FETCHER_MAX_AGE_S = 3600.0


class RenewedFetcher:
    """One fetcher shared by passes or jobs (its connections and TLS context are reused), replaced by a
    new one every ``FETCHER_MAX_AGE_S`` so robots.txt is read again; the old ones are closed at the end
    (work in flight may still use them)."""

    def __init__(self, factory):
        self._factory = factory
        self._current = None
        self._born = 0.0
        self._old: list[Any] = []

    def get(self):
        if self._current is None or time.monotonic() - self._born > FETCHER_MAX_AGE_S:
            if self._current is not None:
                self._old.append(self._current)
            self._current = self._factory()
            self._born = time.monotonic()
        return self._current

    async def aclose(self) -> None:
        for fetcher in self._old + ([self._current] if self._current is not None else []):
            await fetcher.aclose()
        self._old, self._current = [], None


class Watcher:
    """Polls the store's enabled sources when each is due. ``host_gate``: see :class:`~blogsift.fetch.Fetcher`."""

    def __init__(self, store, settings: Settings, *, clock: Clock | None = None, transport: Any = None,
                 console=None, host_gate: Any = None, ingest: Any = None):
        from .pipeline import Pipeline

        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock()
        self.bounds = Bounds.from_settings(settings.watch)
        self.transport = transport
        self.host_gate = host_gate
        self.pipeline = Pipeline(store, settings, transport=transport, console=console, progress=False)
        #: how new posts are stored: fetched here (the pipeline's ingest), or as queued jobs (``jobs.py``)
        self.ingest = ingest or self.pipeline.ingest
        self.fetchers = RenewedFetcher(self._new_fetcher)

    def _new_fetcher(self):
        from .fetch import Fetcher
        return Fetcher(self.settings.fetch, transport=self.transport, host_gate=self.host_gate)

    async def aclose(self) -> None:
        await self.fetchers.aclose()

    # -- one source -----------------------------------------------------------------------------
    async def poll_source(self, fetcher, source: Source) -> PollResult:
        from .feeds import parse_feed
        from .pipeline import RunReport

        # every store call is made off the event loop: a poll waiting for the database (another
        # writer's lock) must not hold up the other polls' downloads
        db, now = self.pipeline.in_store_thread, self.clock.now()
        state, validators = await db(self._poll_inputs, source)
        try:
            result = await fetcher.get(source.feed_url, source=source.key, validators=validators)
            if result.not_modified:
                return await db(self._not_modified, source, state, result.headers, now)
            parsed = await asyncio.to_thread(parse_feed, result.content, result.final_url, source=source.key,
                                             headers=result.headers)
        except (FetchError, FeedError) as exc:
            return await db(self._failed, source, state, exc, now)
        items = parsed.items[: self.settings.fetch.max_posts_per_source]
        window = feed_window([it.published for it in items], now)
        new = await self.ingest(fetcher, source, items, RunReport())
        await db(self._feed_read, source, result)
        poll = PollResult(source.key, "ok", new_posts=len(new))
        full = len(parsed.items) >= FULL_FEED_MIN
        previous = state.get("last_ok_at")
        if full and previous is not None and window.oldest is not None and window.oldest > previous:
            poll.gap = (previous, window.oldest)
            if self.settings.watch.backfill_gaps:
                poll.gap_filled = await self._fill_gap(fetcher, source, previous, window.oldest, now)
        return await db(self._ok, poll, source, state, result, parsed.items, window, new, now)

    # -- what a poll reads and writes (in the store thread) ---------------------------------------
    def _poll_inputs(self, source: Source) -> tuple[dict, dict | None]:
        return self.store.watch_state(source.key) or {}, self.store.get_validators(source.feed_url)

    def _feed_read(self, source: Source, result) -> None:
        # after the feed's new posts are stored: a poll dying before this reads the feed again next time
        self.store.put_validators(source.feed_url, result.etag, result.last_modified, result.status,
                                  result.content_hash)
        self.store.set_source_status(source.key, "ok", None)

    def _ok(self, poll: PollResult, source: Source, state: dict, result, entries: list, window: FeedWindow,
            new: list, now: datetime) -> PollResult:
        decision = next_interval(window, self.bounds, now,
                                 hint_s=server_hints(result.headers, _ttl_minutes(result.content)),
                                 history=self._history(source.key, now))
        dated_new = [it.published for it in new if it.published is not None]
        values = self._schedule_values(decision, now, window)
        values.update(last_ok_at=now, failures=0, last_outcome="ok", last_error=None,
                      posts_found=(state.get("posts_found") or 0) + len(new))
        if new:
            values["last_new_post_at"] = min(max(dated_new), now) if dated_new else now
        self.store.put_watch_state(source.key, polls=(state.get("polls") or 0) + 1, **values,
                                   coverage=feed_coverage([it.published for it in entries], len(entries), now))
        poll.interval_s, poll.reason = decision.interval_s, decision.reason
        return poll

    def _history(self, key: str, now: datetime) -> Rate | None:
        return history_rate(*self.store.publishing_history(key, now - timedelta(days=HISTORY_DAYS), now), now)

    def _schedule_values(self, decision: Decision, now: datetime, window: FeedWindow) -> dict:
        return {"last_poll_at": now, "next_poll_at": decision.next_at(now), "interval_s": decision.interval_s,
                "reason": decision.reason[:500], "claimed_until": None, "feed_entries": window.entries,
                "feed_oldest": window.oldest, "feed_newest": window.newest, "fill_s": window.fill_s}

    def _not_modified(self, source: Source, state: dict, headers: dict, now: datetime) -> PollResult:
        # the feed is the one we read at the last full poll, so nothing was published since then
        window = FeedWindow(state.get("feed_entries") or 0, state.get("feed_oldest"), state.get("feed_newest"))
        decision = next_interval(window, self.bounds, now, hint_s=server_hints(headers),
                                 history=self._history(source.key, now))
        values = self._schedule_values(decision, now, window)
        values.update(last_ok_at=now, failures=0, last_outcome="not_modified", last_error=None,
                      not_modified=(state.get("not_modified") or 0) + 1)
        self.store.put_watch_state(source.key, polls=(state.get("polls") or 0) + 1, **values,
                                   coverage=not_modified_coverage(state.get("last_ok_at"), now))
        self.store.set_source_status(source.key, "ok", None)
        return PollResult(source.key, "not_modified", interval_s=decision.interval_s, reason=decision.reason)

    def _failed(self, source: Source, state: dict, exc: Exception, now: datetime) -> PollResult:
        failures = (state.get("failures") or 0) + 1
        retry_after = retry_after_seconds(getattr(exc, "retry_after", None), now)
        decision = failure_interval(failures, self.bounds, retry_after_s=retry_after)
        message = str(exc)
        gone = isinstance(exc, HTTPStatusError) and exc.status in (404, 410)
        self.store.set_source_status(source.key, "gone" if gone else "error", message)
        if not gone and (self.store.source_status(source.key).get("fail_count") or 0) \
                >= self.settings.fetch.gone_after_failures:
            self.store.set_source_status(source.key, "paused", message)
        if retry_after is not None and retry_after > self.bounds.max_s:
            self.store.add_source_problems(source.key, [f"the server asked to wait {retry_after / 86400:.0f} days "
                                                        f"(Retry-After); the next poll waits the maximum interval "
                                                        f"instead"], now)
        window = FeedWindow(state.get("feed_entries") or 0, state.get("feed_oldest"), state.get("feed_newest"))
        values = self._schedule_values(decision, now, window)
        values.update(failures=failures, last_outcome="error", last_error=message[:1000])
        self.store.put_watch_state(source.key, polls=(state.get("polls") or 0) + 1, **values)
        return PollResult(source.key, "error", interval_s=decision.interval_s, reason=decision.reason, error=message)

    async def _fill_gap(self, fetcher, source: Source, since: datetime, until: datetime, now: datetime) -> bool:
        from .backfill import backfill_source

        result = await backfill_source(self.pipeline, fetcher, source, since, until, now=now, ingest=self.ingest)
        if not result.complete:
            await self.pipeline.in_store_thread(
                self.store.add_source_problems, source.key,
                [f"posts published {since:%Y-%m-%d %H:%M} → {until:%Y-%m-%d %H:%M} may be missed: the feed no "
                 f"longer reaches back to the previous poll and no sitemap or paged feed covers the gap"], now)
        return result.complete

    # -- passes ---------------------------------------------------------------------------------
    def due(self, limit: int | None = None) -> list[Source]:
        ahead = min(POLL_AHEAD_S, self.settings.watch.min_interval_minutes * 6)
        return self.store.get_sources(self.store.due_sources(self.clock.now(), limit, ahead_s=ahead))

    async def poll_due(self, limit: int | None = None) -> PassReport:
        """One pass: poll every due source (concurrently, under the fetcher's per-host limits)."""
        sources = await self.pipeline.in_store_thread(self.due, limit)
        report = PassReport()
        if not sources:
            return report
        fetcher = self.fetchers.get()
        before = fetcher.request_count
        report.results = list(await asyncio.gather(*(self.poll_source(fetcher, s) for s in sources)))
        report.requests = fetcher.request_count - before
        return report

    async def poll_once(self, limit: int | None = None) -> PassReport:
        """One pass, then close the connections (``blogsift poll``). Its store calls share one store
        thread, as a running watcher's do (SQLite writers in several threads would queue on its lock)."""
        try:
            async with self.pipeline.ingesting():
                return await self.poll_due(limit)
        finally:
            await self.aclose()

    async def run(self, stop: asyncio.Event, *, until: datetime | None = None, on_pass=None) -> None:
        """Poll due sources until ``stop`` is set (or the clock passes ``until``), sleeping in between.
        The pipeline's extraction processes start once for the whole watch, not once per pass."""
        try:
            async with self.pipeline.ingesting():
                await self._run(stop, until, on_pass)
        finally:
            await self.aclose()

    async def _run(self, stop: asyncio.Event, until: datetime | None, on_pass) -> None:
        while not stop.is_set():
            if until is not None and self.clock.now() >= until:
                return
            report = await self._pass_until_stopped(stop)
            if on_pass is not None and report.polled:
                on_pass(report)
            if stop.is_set():
                return
            nxt = await self.pipeline.in_store_thread(self.store.next_due_at)
            wait = 0.0 if nxt is None else (nxt - self.clock.now()).total_seconds()
            if until is not None:
                wait = min(wait, (until - self.clock.now()).total_seconds())
            else:  # sources added or re-enabled meanwhile are seen within one tick
                wait = min(wait, self.settings.queue.scheduler_tick_s)
            if wait > 0:
                await self.clock.sleep(wait, stop)


    async def _pass_until_stopped(self, stop: asyncio.Event) -> PassReport:
        """One pass; on a stop request the polls in progress get ``watch.stop_timeout`` seconds to finish,
        then are cancelled (each post and each poll's state is committed on its own, so nothing is lost:
        the next start polls those sources again)."""
        task = asyncio.ensure_future(self.poll_due())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                await asyncio.wait({task}, timeout=self.settings.watch.stop_timeout)
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                return PassReport()
            return task.result()
        finally:
            stopped.cancel()


def _ttl_minutes(content: bytes) -> float | None:
    m = _TTL.search(content[:20_000])
    return float(m.group(1)) if m else None
