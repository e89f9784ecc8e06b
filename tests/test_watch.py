"""Watching feeds over a simulated month against a real local blog web, with a real SQLite store.

Three blogs publish 60 posts a month while their feeds hold 10: one WordPress-like (``?paged=``), one
with a sitemap index only, one with neither. The watcher runs at its adaptive interval, is stopped for
six days mid-month (more posts than a feed holds appear meanwhile) and restarted from the store.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from blogweb import Blog, blog_web, make_posts

from blogsift.coverage import period_coverage
from blogsift.store import Store
from blogsift.watch import SimulatedClock, Watcher

NOV, DEC = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
DOWN, UP = datetime(2026, 11, 10, 12, tzinfo=UTC), datetime(2026, 11, 16, 12, tzinfo=UTC)


def _web(clock):
    start = NOV - timedelta(days=12)
    return [Blog(kind, kind, make_posts(kind, start, DEC), clock) for kind in ("wordpress", "sitemap", "plain")]


def _add(store, blogs):
    store.put_document("registry_seeded", "test")
    for b in blogs:
        store.upsert_source(b.source())


def _watch(store, settings, clock, until):
    asyncio.run(Watcher(store, settings, clock=clock).run(asyncio.Event(), until=until))


def _found(store, blog, since, until):
    stored = {p.url for p in store.list_posts(source_key=blog.key)}
    period = [p for p in blog.posts if since <= p.published < until]
    return period, [p for p in period if blog.url(p) in stored]


def test_a_month_of_watching_finds_every_post_or_says_where_it_may_have_missed(store, settings):
    clock = SimulatedClock(NOV)
    blogs = _web(clock)
    with blog_web(blogs):
        _add(store, blogs)
        _watch(store, settings, clock, DOWN)
        # stopped for six days: 12 posts appear per blog, more than a feed holds; a new process resumes
        clock.set(UP)
        _watch(store, settings, clock, DEC + timedelta(days=1, hours=1))
        wordpress, sitemap, plain = blogs
        for blog in (wordpress, sitemap):
            period, found = _found(store, blog, NOV, DEC)
            assert len(period) == 60 and len(found) == 60, blog.key
        period, found = _found(store, plain, NOV, DEC)
        assert len(found) < len(period)  # the posts that left its feed while nobody looked are gone
        verdicts = {v.source: v for v in period_coverage(store, NOV, DEC, clock.now())}
        assert verdicts["wordpress"].complete and verdicts["sitemap"].complete
        hole = verdicts["plain"]
        assert not hole.complete and len(hole.holes) == 1
        start, end = hole.holes[0]
        missed = [p for p in plain.posts if p not in found and NOV <= p.published < DEC]
        assert all(start <= p.published < end for p in missed)  # the hole reported is where posts went missing
        assert "may be missed" in store.watch_state("plain")["problems"][-1]["what"] or \
            any("may be missed" in p["what"] for p in store.watch_state("plain")["problems"])
        # the adaptive interval: a feed holding ~5 days (two posts a day) is polled well within that,
        # never less often than the 1-day maximum
        state = store.watch_state("wordpress")
        assert 6 * 3600 < state["interval_s"] < 24 * 3600
        assert state["polls"] >= 30
        # nothing stored twice and no request for a post before it was published
        urls = [p.url for p in store.list_posts()]
        assert len(urls) == len(set(urls))


def test_conditional_get_saves_bodies_and_extends_coverage(store, settings):
    clock = SimulatedClock(NOV)
    blog = Blog("quiet", "plain", make_posts("quiet", NOV - timedelta(days=40), NOV, per_month=8), clock)
    with blog_web([blog]):
        _add(store, [blog])
        _watch(store, settings, clock, NOV + timedelta(days=5))
        state = store.watch_state("quiet")
        assert state["not_modified"] >= 3  # the blog stopped posting: every later poll is a 304
        assert [r for r in blog.server.requests if r.path == "/feed/" and "if-none-match" in r.headers]
        [verdict] = period_coverage(store, NOV, NOV + timedelta(days=4), clock.now())
        assert verdict.complete


def test_retry_after_of_a_year_is_bounded_and_reported(store, settings):
    clock = SimulatedClock(NOV)
    blog = Blog("busy", "plain", make_posts("busy", NOV - timedelta(days=10), NOV), clock,
                retry_after=str(365 * 86400))
    with blog_web([blog]):
        _add(store, [blog])
        report = asyncio.run(Watcher(store, settings, clock=clock).poll_once())
    assert report.errors and "busy" in report.errors
    state = store.watch_state("busy")
    assert state["next_poll_at"] == NOV + timedelta(hours=24)
    assert any("Retry-After" in p["what"] for p in state["problems"])


def test_status_shows_the_schedule_and_warns_when_the_interval_outruns_the_window(store, settings):
    from blogsift.commands.watch import schedule_rows

    clock = SimulatedClock(NOV)
    settings.watch.min_interval_minutes = 12 * 60  # a floor above what a bursty blog needs
    blog = Blog("bursty", "plain", make_posts("bursty", NOV - timedelta(days=2), NOV, per_month=600), clock)
    with blog_web([blog]):
        _add(store, [blog])
        _watch(store, settings, clock, NOV + timedelta(hours=1))
    [row] = schedule_rows(store, clock.now())
    assert row["last_poll"] == NOV and row["next_poll"] == NOV + timedelta(hours=12)
    assert row["window_days"] < 0.5 and row["last_new_post"] is not None
    assert "posts may be missed" in row["warning"]


def test_watch_command_stops_cleanly_on_sigterm_and_resumes(tmp_path):
    clock_posts = make_posts("cli", datetime.now(UTC) - timedelta(days=20), datetime.now(UTC))

    class Now:
        def now(self):
            return datetime.now(UTC)

    blog = Blog("cli", "wordpress", clock_posts, Now())
    db = tmp_path / "w.db"
    cfg = tmp_path / "blogsift.toml"
    cfg.write_text("[fetch]\nallow_private_addresses = true\nper_host_delay = 0.0\n")
    env = {**os.environ, "BLOGSIFT_CONFIG": str(cfg), "BLOGSIFT_DB": str(db)}
    with blog_web([blog]):
        store = Store(f"sqlite:///{db}")
        _add(store, [blog])
        exe = Path(sys.executable).with_name("blogsift")
        proc = subprocess.Popen([str(exe), "watch"], env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (store.watch_state("cli") or {}).get("last_ok_at"):
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "stopped" in err
        state = store.watch_state("cli")
        assert state["next_poll_at"] > datetime.now(UTC)  # restart-safe: the schedule is in the store
        before = len(store.list_posts())
        assert before == 10
        # cron style: one pass, nothing due yet, nothing fetched
        out = subprocess.run([str(exe), "poll"], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and "polled 0" in out.stderr
        status = subprocess.run([str(exe), "status"], env=env, capture_output=True, text=True, timeout=60)
        assert "cli" in status.stdout and "next poll" in status.stdout
        store.close()


def test_sources_due_within_a_minute_are_polled_in_one_pass(store, settings):
    """A watcher over many feeds wakes about once a minute, not once per feed; no poll is early by more."""
    from blogsift.models import Source

    store.put_document("registry_seeded", "test")
    clock = SimulatedClock(NOV)
    for key, due_in in (("now", 0), ("soon", 50), ("later", 90), ("much-later", 600)):
        store.upsert_source(Source(key=key, name=key, feed_url=f"https://{key}.example/feed"))
        store.put_watch_state(key, next_poll_at=NOV + timedelta(seconds=due_in))
    assert sorted(s.key for s in Watcher(store, settings, clock=clock).due()) == ["now", "soon"]


def test_the_watcher_keeps_its_extraction_processes_from_pass_to_pass(store, settings):
    """Fresh interpreters per pass would cost about a second each time a feed has a new post."""
    from processes import extraction_processes

    clock = SimulatedClock(NOV)
    blogs = _web(clock)
    seen: list[set[int]] = []

    def on_pass(report):
        if any(r.new_posts for r in report.results):
            seen.append(extraction_processes(os.getpid()))

    with blog_web(blogs):
        _add(store, blogs)
        asyncio.run(Watcher(store, settings, clock=clock).run(asyncio.Event(), until=NOV + timedelta(days=3),
                                                             on_pass=on_pass))
    assert len(seen) >= 3 and seen[0] and all(s == seen[0] for s in seen), seen


def test_a_poll_waiting_for_the_store_leaves_the_watchers_other_work_running(store, settings):
    """A `blogsift run` or an edit in the web UI holding the store's write lock makes a poll wait for
    it; meanwhile the watcher's other polls, downloads and timers go on (a store call made on the
    event loop would freeze them all for as long as the lock is held)."""
    import sqlite3
    import threading

    clock = SimulatedClock(NOV)
    blog = Blog("quiet", "plain", make_posts("quiet", NOV - timedelta(days=40), NOV, per_month=8), clock)
    with blog_web([blog]):
        _add(store, [blog])
        asyncio.run(Watcher(store, settings, clock=clock).poll_once())   # its posts stored
        clock.advance(2 * 86400)   # due again; the feed has not changed: a 304, then the poll's state written

        async def main():
            gaps, last, done = [], time.monotonic(), asyncio.Event()

            async def ticker():
                nonlocal last
                while not done.is_set():
                    await asyncio.sleep(0.01)
                    gaps.append(time.monotonic() - last)
                    last = time.monotonic()

            other_writer = sqlite3.connect(store.engine.url.database, timeout=30, check_same_thread=False)
            other_writer.execute("BEGIN IMMEDIATE")
            released = threading.Event()

            def release():
                other_writer.rollback()
                other_writer.close()
                released.set()

            threading.Timer(1.0, release).start()   # not from the loop: a frozen loop could never release it
            ticking = asyncio.ensure_future(ticker())
            report = await Watcher(store, settings, clock=clock).poll_once()
            done.set()
            await ticking
            return report, released.is_set(), max(gaps)

        report, waited, worst_gap = asyncio.run(main())
    assert waited and report.not_modified == 1 and not report.errors   # the poll waited for the lock, then wrote
    assert worst_gap < 0.3, f"the event loop stood still for {worst_gap:.2f} s"


def test_a_pass_reads_its_due_sources_in_a_few_queries(store, settings):
    """A watcher starting over thousands of feeds finds them all due at once: read in a query per 500,
    not one per source."""
    import sqlalchemy as sa

    from blogsift.models import Source

    store.put_document("registry_seeded", "test")
    for i in range(1200):
        store.upsert_source(Source(key=f"s{i:04d}", name=f"s{i}", feed_url=f"https://s{i}.example/feed"))
    statements = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    due = Watcher(store, settings, clock=SimulatedClock(NOV)).due()
    assert len(due) == 1200 and len({s.key for s in due}) == 1200
    assert len(statements) <= 5, f"{len(statements)} statements to read 1,200 due sources"
