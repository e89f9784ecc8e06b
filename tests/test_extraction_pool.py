"""Extraction in worker processes: pages that crash, hang or flood a worker cost only their own post."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime

from localserver import LocalServer, Route
from processes import extraction_processes
from test_pipeline_fetch import rss

from blogsift.extractpool import ExtractionLimits, ExtractionPool
from blogsift.models import FeedItem, Source
from blogsift.pipeline import Pipeline

SOURCE = Source(key="ex", name="Example", feed_url="http://127.0.0.1/feed.xml", org="Ex", lang="en")
ARTICLE = ("<html><head><title>Serving</title></head><body><nav>Home | Blog</nav><article><h1>Serving</h1>"
           + "".join(f"<p>Step {i}: we trained a retrieval model on 12 million query pairs and cut p99 latency "
                     f"from 180 ms to 45 ms on one GPU while keeping recall at 0.91.</p>" for i in range(8))
           + "</article><footer>(c) Example</footer></body></html>")
SUMMARY = "The feed's own summary of this post, about serving retrieval models."


def item(url: str = "http://127.0.0.1/p/1") -> FeedItem:
    return FeedItem(url=url, title="Serving retrieval at scale", published=datetime(2026, 10, 1, tzinfo=UTC),
                    summary_html=f"<p>{SUMMARY}</p>")


def extract_all(pool: ExtractionPool, pages: list[bytes]) -> list:
    async def go():
        return await asyncio.gather(*(pool.extract(p, f"http://127.0.0.1/p/{i}", item(), SOURCE, "text/html")
                                      for i, p in enumerate(pages)))
    try:
        return asyncio.run(go())
    finally:
        pool.close()


def test_bad_pages_in_one_run_cost_only_their_own_posts(store, settings):
    deep = b"<html><body>" + b"<div>" * 200_000 + b"<p>deep</p>" + b"</div>" * 200_000 + b"</body></html>"
    big = b"<html><body><article>" + b"<p>" + b"word " * 600_000 + b"</p></article></body></html>"
    binary = bytes((i * 7919) % 256 for i in range(200_000))
    paths = {"/p/deep": deep, "/p/big": big, "/p/binary": binary, "/p/good": ARTICLE.encode()}
    settings.fetch.extract_max_bytes = 2_000_000
    settings.fetch.max_bytes = 5_000_000
    with LocalServer() as srv:
        base = srv.base_url
        srv.routes["/feed.xml"] = Route(body=rss(base, [(p, f"Post {p}") for p in paths]),
                                        content_type="application/rss+xml")
        for path, body in paths.items():
            srv.routes[path] = Route(body=body, content_type="text/html")
        store.upsert_source(Source(key="ex", name="Ex", feed_url=f"{base}/feed.xml", org="Ex", lang="en"))
        report = Pipeline(store, settings, progress=False).run(since=None, until=None)
    assert report.posts_new == 4 and report.sources_ok == ["ex"]
    posts = {p.url.rsplit("/", 1)[1]: p for p in store.list_posts()}
    assert posts["good"].extraction == "page" and "12 million query pairs" in posts["good"].text
    assert "extraction limit" in posts["big"].extraction_note and posts["big"].extraction == "feed"
    assert "binary data" in posts["binary"].extraction_note and posts["binary"].extraction == "feed"
    assert posts["deep"].extraction in ("feed", "title-only", "page") and posts["deep"].title == "Post /p/deep"
    assert all(p.text for p in posts.values())   # each kept at least the feed's summary


def test_a_page_over_its_time_limit_keeps_the_feeds_content():
    pool = ExtractionPool(1, ExtractionLimits(timeout_s=0.0005))
    post, = extract_all(pool, [ARTICLE.encode() * 40])
    assert post.extraction == "feed" and "longer than" in post.extraction_note and SUMMARY in post.text


def test_the_pool_recovers_from_a_killed_worker():
    pool = ExtractionPool(1, ExtractionLimits())

    async def go():
        first = await pool.extract(ARTICLE.encode(), "http://127.0.0.1/p/1", item(), SOURCE)
        for process in list(pool._main._processes.values()):   # a worker dies (OOM killer, a crash)
            os.kill(process.pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        second = await pool.extract(ARTICLE.encode(), "http://127.0.0.1/p/2", item(), SOURCE)
        third = await pool.extract(ARTICLE.encode(), "http://127.0.0.1/p/3", item(), SOURCE)
        return first, second, third
    try:
        posts = asyncio.run(go())
    finally:
        pool.close()
    assert [p.extraction for p in posts] == ["page"] * 3 and pool.restarts >= 1


def test_a_page_that_kills_every_worker_is_the_only_post_lost_to_it():
    # an address-space limit far below what a worker needs: every extraction dies with its worker
    big = ARTICLE.replace("</article>", "<p>" + "word " * 400_000 + "</p></article>").encode()
    pool = ExtractionPool(2, ExtractionLimits(memory_mb=1))
    posts = extract_all(pool, [big, big])
    assert all(p.extraction == "feed" and SUMMARY in p.text for p in posts)
    assert all("crashed its worker" in p.extraction_note or "more than 1 MB" in p.extraction_note for p in posts)


RUN_KILLED_DURING_WORKER_START = """
import asyncio, os, signal, sys
sys.path.insert(0, {tests!r})
from test_extraction_pool import ARTICLE, SOURCE, item
from blogsift.extractpool import ExtractionLimits, ExtractionPool

async def go():
    pool = ExtractionPool(2, ExtractionLimits())
    task = asyncio.ensure_future(pool.extract(ARTICLE.encode(), "http://127.0.0.1/p/1", item(), SOURCE))
    await asyncio.sleep(0.05)           # the workers are spawned and still importing
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(go())
"""


def _processes_marked(mark: str) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                with open(f"/proc/{name}/environ", "rb") as f:
                    if f"BLOGSIFT_TEST_MARK={mark}".encode() in f.read():
                        out.append(int(name))
            except OSError:
                continue
    return out


def test_workers_of_a_run_killed_while_they_start_exit_on_their_own():
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    mark = uuid.uuid4().hex
    env = {**os.environ, "BLOGSIFT_TEST_MARK": mark}
    code = RUN_KILLED_DURING_WORKER_START.format(tests=str(Path(__file__).parent))
    proc = subprocess.run([sys.executable, "-c", code], env=env, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 20     # start-up (imports) plus the workers' check of their parent
    while _processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _processes_marked(mark)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"{len(left)} extraction workers outlived their run"


def test_a_started_pool_is_up_before_its_first_page():
    """A queue worker starts its pool before taking jobs: the first pages do not wait for interpreters."""
    pool = ExtractionPool(2, ExtractionLimits())

    async def go():
        await pool.start()
        return extraction_processes(os.getpid())

    try:
        before = asyncio.run(go())
        assert len(before) == 2
        [post] = extract_all(pool, [ARTICLE.encode()])
        assert post.extraction == "page"
    finally:
        pool.close()
