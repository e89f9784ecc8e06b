"""Pipeline benchmarks over the synthetic corpus (bench/corpus.py) served on 127.0.0.1.

    python bench/pipeline.py [--sources 40 --posts 25] [--json]

- throughput: the full pipeline (fetch, extract, classify, rank, select, summarize, render) on a fresh
  store: posts/s, peak RSS, and the ratio to bare trafilatura extraction of the same pages in the same
  run (the floor Python extraction sets: a ratio near 1 means the rest of the pipeline costs little).
- incremental: a second run with nothing changed (wall time and requests as ratios to the first), then
  a run after 1% new posts (must find exactly those).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import REFERENCE, generate_corpus, serve_corpus  # noqa: E402

from blogsift.config import Settings  # noqa: E402
from blogsift.pipeline import Pipeline  # noqa: E402
from blogsift.publish import write_digest  # noqa: E402
from blogsift.store import Store  # noqa: E402


def bench_settings() -> Settings:
    s = Settings()
    s.fetch.allow_private_addresses = True
    s.fetch.per_host_delay = 0.0
    s.fetch.per_host_concurrency = 16
    s.fetch.total_concurrency = 32
    s.fetch.max_posts_per_source = 1000
    s.curation.popularity = False
    return s


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_once(store: Store, settings: Settings, out: Path) -> tuple[float, object]:
    t = time.perf_counter()
    report = Pipeline(store, settings, progress=False).run(since=REFERENCE.replace(month=8), until=REFERENCE)
    write_digest(store, settings, out, force=True)
    return time.perf_counter() - t, report


def trafilatura_floor(base: str, corpus, limit: int) -> float:
    """posts/s of bare trafilatura over the same pages (fetched first, not timed)."""
    import trafilatura
    pages = []
    with httpx.Client() as client:
        for s in range(corpus.n_sources):
            for p in range(corpus.posts_per_source):
                pages.append(client.get(f"{base}/s{s}/p{p}.html").text)
                if len(pages) >= limit:
                    break
            if len(pages) >= limit:
                break
    t = time.perf_counter()
    for html in pages:
        trafilatura.extract(html, include_comments=False)
    return len(pages) / (time.perf_counter() - t)


def run(n_sources: int, posts: int) -> dict:
    corpus = generate_corpus(n_sources, posts)
    settings = bench_settings()
    with tempfile.TemporaryDirectory() as tmp, serve_corpus(corpus) as (base, stats):
        store = Store(f"sqlite:///{tmp}/bench.db")
        store.put_document("registry_seeded", "bench")
        for src in corpus.sources(base):
            store.upsert_source(src)
        out = Path(tmp) / "digest.md"
        first_s, first = run_once(store, settings, out)
        first_requests = stats.requests
        posts_per_s = first.posts_new / first_s
        floor = trafilatura_floor(base, corpus, min(500, corpus.size))
        before = stats.requests
        second_s, second = run_once(store, settings, out)
        second_requests = stats.requests - before
        added = corpus.mutate(0.01)
        before = stats.requests
        third_s, third = run_once(store, settings, out)
        third_requests = stats.requests - before
        store.close()
    return {
        "posts": corpus.size - added, "sources": n_sources,
        "posts_per_s": round(posts_per_s, 1), "first_run_s": round(first_s, 2),
        "stage_s": {k: round(v, 2) for k, v in first.stage_s.items()},
        "trafilatura_posts_per_s": round(floor, 1), "ratio_to_trafilatura": round(posts_per_s / floor, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "second_run_s": round(second_s, 2), "second_run_requests": second_requests,
        "second_run_new_posts": second.posts_new,
        "incremental_ratio": round(second_s / first_s, 3),
        "incremental_requests_ratio": round(second_requests / first_requests, 3),
        "mutated_posts": added, "third_run_new_posts": third.posts_new,
        "third_run_ratio": round(third_s / first_s, 3),
        "third_run_requests_ratio": round(third_requests / first_requests, 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description="pipeline throughput and incremental-run benchmark")
    ap.add_argument("--sources", type=int, default=40)
    ap.add_argument("--posts", type=int, default=25)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = run(args.sources, args.posts)
    if args.json:
        print(json.dumps(r))
    else:
        for k, v in r.items():
            print(f"{k:28} {v}")
    return 0 if r["third_run_new_posts"] == r["mutated_posts"] and r["second_run_new_posts"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
