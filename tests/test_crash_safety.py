"""Crash safety: a run killed with SIGKILL at random points leaves a consistent store, and the next
run resumes to exactly the digest an uninterrupted run writes."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from corpus import generate_corpus, serve_corpus  # noqa: E402

RUNNER = r"""
import sys
sys.path.insert(0, sys.argv[4])
from pathlib import Path
from corpus import REFERENCE, generate_corpus
from pipeline import bench_settings
from blogsift.pipeline import Pipeline
from blogsift.publish import write_digest
from blogsift.store import Store
base, db, out = sys.argv[1], sys.argv[2], sys.argv[3]
store = Store(f"sqlite:///{db}")
if store.get_document("registry_seeded") is None:
    for src in generate_corpus(8, 6).sources(base):
        store.upsert_source(src)
    store.put_document("registry_seeded", "test")
settings = bench_settings()
settings.fetch.per_host_concurrency = 2   # slower fetching: more places for a kill to land
Pipeline(store, settings, progress=False).run(since=REFERENCE.replace(month=8), until=REFERENCE)
write_digest(store, settings, Path(out), force=True)
"""

KILLS = 8


def _run(base: str, db: Path, out: Path, kill_after: float | None) -> int:
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, base, str(db), str(out), str(BENCH)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is None:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err.decode()[-2000:]
        return 0
    try:
        proc.wait(timeout=kill_after)
        return proc.returncode           # finished before the kill
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return -9


def _check_consistent(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) - count(DISTINCT url) FROM posts").fetchone()[0] == 0
        orphans = conn.execute("SELECT count(*) FROM posts WHERE source_key NOT IN (SELECT key FROM sources)")
        assert orphans.fetchone()[0] == 0
        lost = conn.execute("SELECT count(*) FROM entries WHERE post_id IS NOT NULL AND post_id NOT IN (SELECT id FROM posts)")
        assert lost.fetchone()[0] == 0
        for table in ("classifications", "scores", "summaries", "enrichments"):
            dangling = conn.execute(f"SELECT count(*) FROM {table} WHERE post_id NOT IN (SELECT id FROM posts)")
            assert dangling.fetchone()[0] == 0, table
        return conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0                      # killed before the first migration committed
        raise
    finally:
        conn.close()


def test_killed_runs_resume_to_the_uninterrupted_digest(tmp_path):
    corpus = generate_corpus(8, 6)
    rng = random.Random(20261124)
    with serve_corpus(corpus) as (base, _stats):
        _run(base, tmp_path / "warm.db", tmp_path / "warm.md", None)   # first run pays for cold caches
        clean_db, clean_out = tmp_path / "clean.db", tmp_path / "clean.md"
        t = time.perf_counter()
        _run(base, clean_db, clean_out, None)
        full = time.perf_counter() - t

        db, out = tmp_path / "killed.db", tmp_path / "killed.md"
        kills, counts, attempts = 0, [], 0
        # resumed runs have less left to do, so a kill may come too late: keep going until KILLS landed
        while kills < KILLS and attempts < 3 * KILLS:
            attempts += 1
            if _run(base, db, out, rng.uniform(0.2, 0.8 * full)) == -9:
                kills += 1
            counts.append(_check_consistent(db))
        assert counts == sorted(counts)              # posts only ever accumulate
        _run(base, db, out, None)
        assert _check_consistent(db) == corpus.size  # none lost, none doubled
        assert kills >= KILLS // 2
    assert out.read_text(encoding="utf-8") == clean_out.read_text(encoding="utf-8")
