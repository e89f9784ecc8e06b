"""Pipeline benchmarks: the whole run over a web of blogs served on 127.0.0.1 (bench/corpus.py).

    python bench/pipeline.py [--sources 200 --posts 50] [--synthetic] [--workers N] [--json]
    python bench/pipeline.py --growth 20x50,200x50 [--json]

The pages are the real ones beside the repository (``../shared/bench/real-pages``) when present,
else (or with ``--synthetic``) generated ones.

- throughput: the full pipeline (fetch, extract, enrich, classify, rank, select, summarize, render)
  on a fresh store: posts/s, and the ratio to bare ``trafilatura.extract`` (defaults) of pages of the
  same corpus in the same run on one core, the floor Python extraction sets. A ratio of 1 means the
  whole pipeline, with its extraction workers, keeps pace with one core doing nothing but extraction.
- incremental: a second run with nothing changed (wall time and requests as ratios to the first),
  then a run after 1% new posts (it must find exactly those).
- memory: ``peak_rss_mb`` is the peak resident memory of the pipeline's own process;
  ``peak_rss_total_mb`` adds its extraction workers (sampled every 0.2 s, so a spike shorter than
  that can be missed).
- ``--growth``: each size in its own process (so each peak RSS is its own), one row per run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import REFERENCE, RealPageCorpus, generate_corpus, serve_corpus  # noqa: E402

from blogsift.config import Settings  # noqa: E402
from blogsift.pipeline import Pipeline  # noqa: E402
from blogsift.publish import write_digest  # noqa: E402
from blogsift.store import Store  # noqa: E402

#: pages timed for the trafilatura floor (all distinct on the real corpus): enough for a stable rate
FLOOR_PAGES = 400
RSS_SAMPLE_S = 0.2


def bench_settings(workers: int = 0) -> Settings:
    s = Settings()
    s.fetch.allow_private_addresses = True
    s.fetch.per_host_delay = 0.0
    s.fetch.per_host_concurrency = 16
    s.fetch.total_concurrency = 32
    s.fetch.max_posts_per_source = 1000
    s.fetch.extract_workers = workers
    s.curation.popularity = False
    return s


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    # the kernel lists each thread's children: no scan of every process on the machine (which, five
    # times a second, cost the measured run seconds of CPU)
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            continue
    return out


def _descendants(root: int) -> list[int]:
    out, frontier = [], [root]
    while frontier:
        kids = _children(frontier.pop())
        out += kids
        frontier += kids
    return out


class RssSampler:
    """Peak of this process's RSS plus its descendants' (the extraction workers), sampled."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.wait(RSS_SAMPLE_S):
            total = _rss_kb(me) + sum(_rss_kb(p) for p in _descendants(me))
            self.peak_kb = max(self.peak_kb, total)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return round(self.peak_kb / 1024, 1)


def run_once(store: Store, settings: Settings, out: Path) -> tuple[float, object, float]:
    t = time.perf_counter()
    with RssSampler() as rss:
        report = Pipeline(store, settings, progress=False).run(since=REFERENCE.replace(month=8), until=REFERENCE)
        write_digest(store, settings, out, force=True)
    return time.perf_counter() - t, report, rss.peak_mb


def trafilatura_floor(base: str, corpus, limit: int) -> float:
    """pages/s of bare ``trafilatura.extract`` (defaults) on one core over pages of the same corpus,
    fetched first (not timed)."""
    import trafilatura

    urls = []
    if isinstance(corpus, RealPageCorpus):   # distinct real pages, in the order the feeds use them
        seen = set()
        for s in range(corpus.n_sources):
            for p in range(corpus.posts_per_source):
                f = corpus.page_file(s, p)
                if f not in seen:
                    seen.add(f)
                    urls.append(f"{base}/s{s}/p{p}.html")
    else:
        urls = [f"{base}/s{s}/p{p}.html" for s in range(corpus.n_sources) for p in range(corpus.posts_per_source)]
    with httpx.Client() as client:
        pages = [client.get(u).content for u in urls[:limit]]
    t = time.perf_counter()
    for html in pages:
        trafilatura.extract(html)
    return len(pages) / (time.perf_counter() - t)


def run(n_sources: int, posts: int, *, synthetic: bool = False, workers: int = 0) -> dict:
    corpus = generate_corpus(n_sources, posts, real=False if synthetic else None)
    settings = bench_settings(workers)
    with tempfile.TemporaryDirectory() as tmp, serve_corpus(corpus) as (base, stats):
        store = Store(f"sqlite:///{tmp}/bench.db")
        store.put_document("registry_seeded", "bench")
        for src in corpus.sources(base):
            store.upsert_source(src)
        out = Path(tmp) / "digest.md"
        first_s, first, first_rss = run_once(store, settings, out)
        first_requests = stats.requests
        posts_per_s = first.posts_new / first_s
        main_rss = peak_rss_mb()
        floor = trafilatura_floor(base, corpus, min(FLOOR_PAGES, corpus.size))
        before = stats.requests
        second_s, second, second_rss = run_once(store, settings, out)
        second_requests = stats.requests - before
        added = corpus.mutate(0.01)
        before = stats.requests
        third_s, third, third_rss = run_once(store, settings, out)
        third_requests = stats.requests - before
        store.close()
    return {
        "corpus": "synthetic" if not isinstance(corpus, RealPageCorpus) else "real-pages",
        "posts": corpus.size - added, "sources": n_sources,
        "workers": settings.fetch.extract_workers or os.cpu_count(),
        "posts_per_s": round(posts_per_s, 1), "first_run_s": round(first_s, 2),
        "first_run_requests": first_requests,
        "stage_s": {k: round(v, 2) for k, v in first.stage_s.items()},
        "trafilatura_posts_per_s": round(floor, 1), "ratio_to_trafilatura": round(posts_per_s / floor, 3),
        "peak_rss_mb": round(main_rss, 1), "peak_rss_total_mb": first_rss,
        "second_run_s": round(second_s, 2), "second_run_requests": second_requests,
        "second_run_new_posts": second.posts_new, "second_run_peak_rss_total_mb": second_rss,
        "second_run_stage_s": {k: round(v, 2) for k, v in second.stage_s.items()},
        "incremental_ratio": round(second_s / first_s, 3),
        "incremental_requests_ratio": round(second_requests / first_requests, 3),
        "mutated_posts": added, "third_run_new_posts": third.posts_new,
        "third_run_s": round(third_s, 2), "third_run_requests": third_requests,
        "third_run_peak_rss_total_mb": third_rss,
        "third_run_ratio": round(third_s / first_s, 3),
        "third_run_requests_ratio": round(third_requests / first_requests, 3),
        "fallbacks": len(first.posts_fallback),
    }


def growth(sizes: list[tuple[int, int]], synthetic: bool, workers: int) -> dict:
    """Each size in its own process; the rows of the growth table and the largest size's figures."""
    rows, results = [], []
    for n_sources, posts in sizes:
        argv = [sys.executable, __file__, "--sources", str(n_sources), "--posts", str(posts), "--json",
                "--workers", str(workers)] + (["--synthetic"] if synthetic else [])
        proc = subprocess.run(argv, capture_output=True, text=True)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise SystemExit(f"pipeline benchmark at {n_sources}x{posts} failed:\n{proc.stderr[-2000:]}")
        r = json.loads(lines[-1])
        results.append(r)
        for run_name, prefix, new in (("first run", "first_run", r["posts"]),
                                      ("re-run", "second_run", r["second_run_new_posts"]),
                                      ("+1% new", "third_run", r["third_run_new_posts"])):
            rows.append({"posts": r["posts"], "run": run_name, "new_posts": new, "seconds": r[f"{prefix}_s"],
                         "requests": r[f"{prefix}_requests"],
                         "peak_rss_total_mb": r["peak_rss_total_mb" if prefix == "first_run"
                                                else f"{prefix}_peak_rss_total_mb"]})
    return {**results[-1], "growth": rows, "sizes": results}


def print_growth(rows: list[dict]) -> None:
    print(f"{'posts':>7} {'run':10} {'new':>6} {'seconds':>9} {'requests':>9} {'peak RSS MB':>12}")
    for row in rows:
        print(f"{row['posts']:>7} {row['run']:10} {row['new_posts']:>6} {row['seconds']:>9.2f} "
              f"{row['requests']:>9} {row['peak_rss_total_mb']:>12.1f}")


def main() -> int:
    ap = argparse.ArgumentParser(description="pipeline throughput and incremental-run benchmark")
    ap.add_argument("--sources", type=int, default=40)
    ap.add_argument("--posts", type=int, default=25)
    ap.add_argument("--growth", default="", help="sizes SOURCESxPOSTS,... each in its own process")
    ap.add_argument("--synthetic", action="store_true", help="generated pages even when real ones are present")
    ap.add_argument("--workers", type=int, default=0, help="extraction processes (0: one per core)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.growth:
        sizes = [tuple(int(x) for x in size.split("x")) for size in args.growth.split(",")]
        r = growth(sizes, args.synthetic, args.workers)
    else:
        r = run(args.sources, args.posts, synthetic=args.synthetic, workers=args.workers)
    if args.json:
        print(json.dumps(r))
    else:
        for k, v in r.items():
            if k not in ("growth", "sizes"):
                print(f"{k:28} {v}")
        if "growth" in r:
            print()
            print_growth(r["growth"])
    ok = all(x["third_run_new_posts"] == x["mutated_posts"] and x["second_run_new_posts"] == 0
             for x in r.get("sizes", [r]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
