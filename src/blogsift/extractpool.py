"""Article extraction in worker processes, so the fetcher keeps downloading while pages are parsed.

``ExtractionPool.extract(...)`` is awaited from the event loop and returns the :class:`Post` that
``extract_post`` gives. A page that would make the extractor crash, hang or blow up in memory costs
only its own post, which keeps the feed's content and a note saying why:

- a page larger than ``max_bytes`` is not parsed at all;
- each page has ``timeout_s`` in the worker (an interval timer raises inside the extraction);
- each worker has an address-space limit (``memory_mb``), so a runaway parse raises MemoryError there;
- a worker stuck in C code past the timeout, or killed by the system, is replaced: the pool is
  rebuilt and the pages that were in flight are tried once more, alone, so only the culprit is lost.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from .extract import extract_post, feed_post
from .models import FeedItem, Post, Source

__all__ = ["ExtractionPool", "ExtractionLimits", "default_workers", "init_worker", "main_module_hidden",
           "worker_context"]

#: seconds the parent waits beyond a page's own timeout before it kills the worker (the timer in the
#: worker fires only between Python bytecodes; a parse stuck inside lxml needs the parent)
HARD_TIMEOUT_GRACE_S = 5.0
#: how often a worker checks that the run that started it is still there
PARENT_CHECK_S = 1.0


def worker_context() -> multiprocessing.context.BaseContext:
    """spawn: a worker is a fresh interpreter (about a second of imports), not a fork of this process
    with its threads, open database connections and loaded models. Not forkserver: its server belongs
    to the process that started it, so a process forked from that one (a job runner forking its jobs)
    could not start workers at all."""
    return multiprocessing.get_context("spawn")


@contextmanager
def main_module_hidden() -> Iterator[None]:
    """Around a submit that may start workers: a spawned worker re-imports the caller's main script
    unless told there is none. Workers need nothing from it, and a script without an
    ``if __name__ == "__main__"`` guard, code run from stdin or a notebook would break them."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ExtractionLimits:
    timeout_s: float = 20.0
    max_bytes: int = 4_000_000
    memory_mb: int = 1024
    min_chars: int = 400


class _PageTimeout(Exception):
    pass


def _on_alarm(signum: int, frame: object) -> None:
    raise _PageTimeout()


def _exit_with_parent(parent: int) -> None:
    # a worker whose run was killed (SIGKILL, OOM) would wait for work forever: its queue's pipe
    # stays open in its siblings, so it never reads an end of file
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            os._exit(0)


def init_worker(memory_mb: int = 0, parent: int | None = None) -> None:
    """Every worker process: it exits when its parent (``parent``: the pid of the process that made the
    pool) does, leaves Ctrl-C to the parent, and gets an address-space limit (``memory_mb``; 0: none).
    The parent's pid comes from the parent: a run killed while its workers were still importing has
    already left them to another parent by the time this runs, and they must see that and exit."""
    parent = os.getppid() if parent is None else parent
    if os.getppid() != parent:
        os._exit(0)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGALRM, _on_alarm)
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


#: a small article the workers extract when the pool is started ahead of use: the first page a worker
#: sees otherwise pays for its imports and trafilatura's lazily built state (about a second)
_WARM_PAGE = ("<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1>"
              + "<p>A paragraph that is long enough to be taken for the text of an article. </p>" * 12
              + "</article></body></html>")


def _warm_job() -> None:
    """Runs in a worker: extract the warm-up page once."""
    item = FeedItem(url="https://warm-up.invalid/", title="Warm-up")
    source = Source(key="warm-up", name="warm-up", feed_url="https://warm-up.invalid/feed")
    extract_post(_WARM_PAGE, item.url, item, source, 0)


def _extract_job(html: bytes | str, url: str, item: FeedItem, source: Source, content_type: str | None,
                 limits: ExtractionLimits) -> Post:
    """Runs in a worker: the post, or the feed's post with the reason the page could not be used."""
    if len(html) > limits.max_bytes:
        return feed_post(url, item, source, f"page not extracted: {len(html):,} bytes is more than the "
                                            f"{limits.max_bytes:,}-byte extraction limit")
    signal.setitimer(signal.ITIMER_REAL, limits.timeout_s)
    try:
        return extract_post(html, url, item, source, limits.min_chars, content_type=content_type)
    except _PageTimeout:
        return feed_post(url, item, source, f"page extraction took longer than {limits.timeout_s:g} s")
    except MemoryError:
        return feed_post(url, item, source, f"page extraction needed more than {limits.memory_mb} MB")
    except RecursionError:
        return feed_post(url, item, source, "page is nested too deeply to extract")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class ExtractionPool:
    """A process pool for :func:`extract_post`, started on first use; ``close()`` when done.

    Pages run in the main pool; a page whose worker died (it, or another page in flight, killed it)
    runs again in a one-worker quarantine pool, one page at a time, so a page that kills workers
    every time is found and only its post falls back."""

    def __init__(self, workers: int, limits: ExtractionLimits):
        self.workers = max(1, workers)
        self.limits = limits
        self._main: ProcessPoolExecutor | None = None
        self._quarantine: ProcessPoolExecutor | None = None
        self._quarantine_lock = asyncio.Lock()
        self.restarts = 0

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=worker_context(), initializer=init_worker,
                                   initargs=(self.limits.memory_mb, os.getpid()))

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        if pool is self._main:
            self._main = None
        elif pool is self._quarantine:
            self._quarantine = None
        else:
            return
        self.restarts += 1
        _kill_workers(pool)
        pool.shutdown(wait=False, cancel_futures=True)

    async def _run(self, pool: ProcessPoolExecutor, html: bytes | str, url: str, item: FeedItem,
                   source: Source, content_type: str | None) -> Post:
        with main_module_hidden():   # the submit starts workers when some are missing
            future = asyncio.get_running_loop().run_in_executor(pool, _extract_job, html, url, item, source,
                                                                content_type, self.limits)
        try:
            return await asyncio.wait_for(future, self.limits.timeout_s + HARD_TIMEOUT_GRACE_S)
        except asyncio.TimeoutError:
            self._discard(pool)
            return feed_post(url, item, source, f"page extraction took longer than {self.limits.timeout_s:g} s "
                                                "(worker replaced)")

    async def start(self) -> None:
        """Start every worker and have each extract a small page, so that a long-lived caller (a queue
        worker) is ready before it takes work: started on first use, the first pages wait for the
        workers' imports. A worker that fails to start, or takes longer than a page may, is left to
        the first use, which replaces it as ever: the caller is not held up."""
        if self._main is None:
            self._main = self._new_pool(self.workers)
        loop = asyncio.get_running_loop()
        with main_module_hidden():
            futures = [loop.run_in_executor(self._main, _warm_job) for _ in range(self.workers)]
        done, _ = await asyncio.wait(futures, timeout=self.limits.timeout_s + HARD_TIMEOUT_GRACE_S)
        for future in done:
            future.exception()   # a failed start is the first use's to handle, not an unread error

    async def extract(self, html: bytes | str, url: str, item: FeedItem, source: Source,
                      content_type: str | None = None) -> Post:
        if self._main is None:
            self._main = self._new_pool(self.workers)
        pool = self._main
        try:
            return await self._run(pool, html, url, item, source, content_type)
        except BrokenProcessPool:
            self._discard(pool)
        async with self._quarantine_lock:
            if self._quarantine is None:
                self._quarantine = self._new_pool(1)
            quarantine = self._quarantine
            try:
                return await self._run(quarantine, html, url, item, source, content_type)
            except BrokenProcessPool:
                self._discard(quarantine)
                return feed_post(url, item, source, "page extraction crashed its worker (worker replaced)")

    def close(self) -> None:
        for pool in (self._main, self._quarantine):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self._main = self._quarantine = None


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop a stuck worker; its process table is the only handle
    for process in list(getattr(pool, "_processes", {}).values()):
        try:
            process.kill()
        except (OSError, AttributeError):
            pass
