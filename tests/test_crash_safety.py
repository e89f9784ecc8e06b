"""Crash safety: runs killed with SIGKILL at points chosen from the run's own progress leave a
consistent store, and the next run resumes to exactly the digest an uninterrupted run writes.

Each run is a real ``blogsift`` pipeline in its own process against the bundled demo web (served on
127.0.0.1). The process announces its progress and stops at the chosen point (after its Nth post is
committed, inside the Nth summary, after the Nth entry, with the digest's temp file written but not
yet renamed, ...), and is killed there. After every kill: the store passes its integrity checks, no
row that was there has gone (a deleted post would take its rows with it through ``ON DELETE
CASCADE``, so rows are followed by post id from kill to kill), no row points at nothing, and the
digest file is absent or complete. After the last kill a run resumes: every post is there once, and
the digest is byte-for-byte the uninterrupted run's.

``test_the_check_catches_a_non_atomic_digest_write`` plants the fault the digest check guards
against (a digest written in place, in two halves) and shows the check failing on it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from blogsift.demo import demo_posts, serve_demo

#: The runs: a server process imports blogsift and does one whole run first, so what every run loads
#: (the classifier, the sentence encoder, the Korean analyser) is loaded, then forks one process per run, as a long-lived worker would start its jobs: a
#: fresh interpreter costs seconds of imports per run, and 30+ runs would take minutes. Each forked run
#: is a real process with its own database connections, killed by a real SIGKILL. In the run, hooks
#: announce progress and stop at the chosen point; ``plant=nonatomic`` replaces the atomic digest write
#: with one in place, in two halves (the planted fault).
RUNNER = r"""
import os, sys, time, traceback
from datetime import timedelta
from pathlib import Path
from blogsift.config import Settings
from blogsift.demo import demo_posts, demo_sources
from blogsift.digest import merge
from blogsift.pipeline import Pipeline
from blogsift.publish import write_digest
from blogsift.store import Store

settings = Settings()
settings.fetch.allow_private_addresses = True
settings.fetch.per_host_delay = 0.0
settings.fetch.per_host_concurrency = 4
settings.fetch.retries = 0
dates = [p.published for p in demo_posts()]
since = min(dates).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
until = max(dates) + timedelta(days=1)
base = sys.argv[1]

def run(url, out, at, plant):
    kind, _, nth = at.partition(":")
    seen = {}

    def progress(what):
        seen[what] = seen.get(what, 0) + 1
        if what == kind and seen[what] == int(nth):
            print(f"PAUSED {os.getpid()} {what} {seen[what]}", flush=True)
            time.sleep(600)          # killed here

    def after(owner, name, what):
        real = getattr(owner, name)
        def hooked(*a, **k):
            result = real(*a, **k)
            progress(what)
            return result
        setattr(owner, name, hooked)

    def before(owner, name, what):
        real = getattr(owner, name)
        def hooked(*a, **k):
            progress(what)
            return real(*a, **k)
        setattr(owner, name, hooked)

    after(Store, "upsert_post", "post")
    real_write = Store._write_versioned

    def write_versioned(conn, table, *a, **k):
        result = real_write(conn, table, *a, **k)
        if table.name == "classifications":
            progress("classify")                   # inside the batch's transaction, not yet committed
        return result
    Store._write_versioned = staticmethod(write_versioned)
    before(Store, "put_summary", "summarize")      # summaries are made (in a child when Korean), then written
    after(Store, "put_machine_entry", "entry")
    before(merge, "_replace", "rename")
    after(merge, "_replace", "renamed")
    if plant == "nonatomic":
        def write_in_place(path, text, **_kw):
            data = text.encode("utf-8")
            with open(path, "wb") as fh:
                fh.write(data[: len(data) // 2])
                fh.flush()
                progress("half-written")
                fh.write(data[len(data) // 2:])
        merge.atomic_write = write_in_place

    store = Store(url)
    if store.get_document("registry_seeded") is None:
        for source in demo_sources(base):
            store.upsert_source(source)
        store.put_document("registry_seeded", "test")
    Pipeline(store, settings, progress=False).run(since=since, until=until)
    write_digest(store, settings, Path(out))

import tempfile                 # one whole run first: every model and analyser a run loads is loaded
with tempfile.TemporaryDirectory() as tmp:
    warm = Store(f"sqlite:///{tmp}/warm.db")
    for source in demo_sources(base):
        warm.upsert_source(source)
    warm.put_document("registry_seeded", "test")
    Pipeline(warm, settings, progress=False).run(since=since, until=until)
    warm.close()
print("READY", flush=True)
for line in sys.stdin:
    url, out, at, plant = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            run(url, out, at, plant)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(f"EXIT {pid} {status}", flush=True)
"""


class Runner:
    """The process that forks the runs (see ``RUNNER``)."""

    def __init__(self, base: str, log: Path):
        self.log = open(log, "a", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "-c", RUNNER, base], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        assert self.proc.stdout.readline().strip() == "READY", log.read_text(encoding="utf-8")[-3000:]
        self.log_path = log

    def run(self, url: str, out: Path, at: str = "none:0", plant: str = "-") -> str:
        """One run; killed when it reaches ``at`` ("killed: post 2"), else run to the end ("finished")."""
        self.proc.stdin.write(f"{url}\t{out}\t{at}\t{plant}\n")
        self.proc.stdin.flush()
        killed = None
        for line in self.proc.stdout:
            word, pid, *rest = line.split()
            if word == "PAUSED":
                os.kill(int(pid), signal.SIGKILL)
                killed = " ".join(rest)
            elif word == "EXIT":
                break
        else:
            raise AssertionError("the runner died: " + self.log_path.read_text(encoding="utf-8")[-3000:])
        if killed:
            return f"killed: {killed}"
        assert rest == ["0"], self.log_path.read_text(encoding="utf-8")[-3000:]
        return "finished"

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)
        self.log.close()


PRODUCED = ("enrichments", "classifications", "scores", "summaries")


class StoreWatch:
    """What the store held after each kill: rows may only ever be added."""

    def __init__(self, url: str):
        self.url = url
        self.posts: dict[int, str] = {}
        self.produced: dict[str, set[int]] = {t: set() for t in PRODUCED}

    def check(self) -> None:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                if not sa.inspect(conn).has_table("posts"):
                    return                     # killed before the first migration committed
                q = lambda sql: conn.execute(sa.text(sql)).all()  # noqa: E731
                if engine.dialect.name == "sqlite":
                    assert q("PRAGMA integrity_check") == [("ok",)]
                    assert q("PRAGMA foreign_key_check") == []
                posts = dict(q("SELECT id, url FROM posts"))
                assert len(set(posts.values())) == len(posts)                       # none doubled
                assert all(posts.get(i) == u for i, u in self.posts.items()), "a post vanished"
                assert q("SELECT url FROM posts WHERE source_key NOT IN (SELECT key FROM sources)") == []
                assert q("SELECT url FROM entries WHERE post_id IS NOT NULL AND post_id NOT IN "
                         "(SELECT id FROM posts)") == []
                for table in PRODUCED:
                    ids = {r[0] for r in q(f"SELECT post_id FROM {table}")}
                    assert ids <= set(posts), f"{table} rows for no post"
                    # a row that was there and is gone: its post was deleted and the cascade took it
                    assert self.produced[table] <= ids, f"{table} rows disappeared"
                    self.produced[table] = ids
                self.posts = posts
        finally:
            engine.dispose()


def _check_digest(out: Path, clean: bytes) -> None:
    """The digest is absent or complete (the uninterrupted run's bytes): never half a file."""
    assert not out.exists() or out.read_bytes() == clean, "the digest file is not a complete digest"
    stray = [p.name for p in out.parent.iterdir() if not p.name.startswith(".")
             and p.name not in (out.name, out.name + ".bak") and p.suffix == ".md"]
    assert stray == []


def _schedule(rng: random.Random, posts_kills: int) -> list[str]:
    """Where to stop: early in fetching (after the 1st or 2nd post this run commits), then in each
    later stage, then twice inside the digest write (temp file written, not yet renamed) and once
    right after the rename."""
    # a run remakes only what the killed runs left undone, so each point counts within what remains
    plan = [f"post:{rng.randint(1, 2)}" for _ in range(posts_kills)]
    plan += [f"classify:{rng.randint(1, 8)}" for _ in range(2)]
    plan += [f"summarize:{rng.randint(1, 3)}" for _ in range(3)]
    plan += [f"entry:{rng.randint(1, 3)}" for _ in range(2)]
    plan += ["rename:1", "rename:1", "renamed:1"]
    return plan


@pytest.fixture(scope="module")
def demo_web(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    with serve_demo() as base:
        runner = Runner(base, tmp / "runs.log")
        try:
            out = tmp / "digest.md"
            assert runner.run(f"sqlite:///{tmp / 'clean.db'}", out) == "finished"
            yield runner, out.read_bytes()
        finally:
            runner.close()


#: kills early in fetching; the later stages get 10 more
@pytest.mark.parametrize("dialect, posts_kills", [
    ("sqlite", 22),
    pytest.param("postgresql", 22, marks=pytest.mark.postgres),
])
def test_killed_runs_resume_to_the_uninterrupted_digest(demo_web, tmp_path, dialect, posts_kills):
    runner, clean = demo_web
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'killed.db'}"
    else:
        from conftest import reset_postgres
        url = os.environ["BLOGSIFT_TEST_PG_URL"]
        reset_postgres(url)
    out = tmp_path / "digest.md"
    watch = StoreWatch(url)
    landed = []
    for at in _schedule(random.Random(20261202), posts_kills):
        outcome = runner.run(url, out, at)
        if outcome.startswith("killed"):
            landed.append(outcome[len("killed: "):])
        watch.check()
        _check_digest(out, clean)
    print(f"\n{len(landed)} kills landed at: {', '.join(landed)}")
    stages = {k.split()[0] for k in landed}
    assert {"post", "classify", "summarize", "entry", "rename", "renamed"} <= stages, landed
    assert len(landed) >= posts_kills + 8

    assert runner.run(url, out) == "finished"
    watch.check()
    urls = sorted(watch.posts.values())
    assert len(urls) == len(set(urls)) == len(demo_posts())        # none lost, none doubled
    assert out.read_bytes() == clean


def test_the_check_catches_a_non_atomic_digest_write(demo_web, tmp_path):
    runner, clean = demo_web
    url, out = f"sqlite:///{tmp_path / 'planted.db'}", tmp_path / "digest.md"
    assert runner.run(url, out, "half-written:1", plant="nonatomic") == "killed: half-written 1"
    StoreWatch(url).check()                              # the store is fine: the file is the fault
    with pytest.raises(AssertionError, match="not a complete digest"):
        _check_digest(out, clean)
    # and a run resuming over the torn file cannot give the uninterrupted digest back
    runner.run(url, out)
    assert out.read_bytes() != clean
