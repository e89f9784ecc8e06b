"""Time the review app's candidate list for a month with 500 posts.

Creates 500 posts (with sources, classifications, scores with reasons, summaries, some decisions) in a
tmp SQLite store, then GETs the list page through Starlette's TestClient and compares it with a
trivial page (a static file) to separate the list's cost from the framework's.

    .venv/bin/python bench/review_list.py [--posts 500] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
warnings.filterwarnings("ignore", message=".*httpx.*")  # TestClient notes its transport; not ours

from starlette.testclient import TestClient  # noqa: E402

from blogsift import review  # noqa: E402
from blogsift.config import Settings  # noqa: E402
from blogsift.models import AREAS, TRACKS, Classification, Post, Score, Source, Summary  # noqa: E402
from blogsift.store import Store  # noqa: E402
from blogsift.web import create_app  # noqa: E402

WORDS = ("추천시스템 대규모 언어모델 서빙 파이프라인 feature store retrieval distillation segmentation "
         "latency throughput GPU 클러스터 실시간 평가 benchmark fine-tuning 임베딩").split()


def seed(store: Store, n: int) -> None:
    for i in range(20):
        store.upsert_source(Source(key=f"src{i}", name=f"Blog {i}", feed_url=f"https://b{i}.example/feed",
                                   org=f"Org{i}"))
    start = datetime(2026, 10, 1, tzinfo=UTC)
    for i in range(n):
        words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(6))
        post = Post(url=f"https://b{i % 20}.example/p/{i}", title=f"Post {i}: {words}", source_key=f"src{i % 20}",
                    published=start + timedelta(minutes=80 * i), text=(words + ". ") * 200, lang="en")
        pid = store.upsert_post(post)
        store.put_classification(pid, Classification(True, 0.9, TRACKS[i % 3], 0.8, AREAS[i % 4], 0.7, model="b"))
        store.put_score(pid, Score(total=(i * 37 % 100) / 100, breakdown={"a": 0.1, "b": 0.2},
                                   reasons=[f"signal a +0.{i % 10}", "signal b +0.20", "source reputation +0.05"]))
        store.put_summary(pid, Summary(bullets=[f"요약 {i} 하나", f"요약 {i} 둘", "셋"], author="extractive"))
    for i in range(0, n, 10):
        review.accept(store, f"https://b{i % 20}.example/p/{i}", "bench")
    for i in range(5, n, 25):
        review.reject(store, f"https://b{i % 20}.example/p/{i}", "bench")


def timed(client: TestClient, path: str, runs: int) -> tuple[float, int]:
    client.get(path)  # warm-up (template compile, FTS build)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(path)
        samples.append(time.perf_counter() - t)
        assert r.status_code == 200, r.status_code
    return statistics.median(samples) * 1000, len(r.content)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=500)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.memory_file(tmp)
        t = time.perf_counter()
        seed(store, args.posts)
        if not args.json:
            print(f"seeded {args.posts} posts in {time.perf_counter() - t:.1f} s")
        client = TestClient(create_app(store, Settings(), token=""), base_url="http://127.0.0.1")
        trivial_ms, _ = timed(client, "/static/favicon.svg", args.runs)
        list_ms, size = timed(client, "/?month=2026-10", args.runs)
        rows = client.get("/?month=2026-10").text.count('<li class="post')
        search_ms, _ = timed(client, "/?month=2026-10&q=%EC%B6%94%EC%B2%9C%EC%8B%9C", args.runs)
        filtered_ms, _ = timed(client, "/?month=2026-10&track=business&status=candidate", args.runs)
        if args.json:
            print(json.dumps({"posts": rows, "list_ms": round(list_ms, 1), "search_ms": round(search_ms, 1),
                              "filtered_ms": round(filtered_ms, 1), "trivial_ms": round(trivial_ms, 1),
                              "ratio_list_to_trivial": round(list_ms / trivial_ms, 1)}))
            store.close()
            return
        print(f"list page, {rows} posts: {list_ms:.1f} ms median of {args.runs} ({size / 1024:.0f} KiB)")
        print(f"list + FTS5 search '추천시':  {search_ms:.1f} ms")
        print(f"list filtered:            {filtered_ms:.1f} ms")
        print(f"trivial page:             {trivial_ms:.1f} ms")
        print(f"ratio list / trivial:     {list_ms / trivial_ms:.1f}x")
        store.close()


if __name__ == "__main__":
    main()
