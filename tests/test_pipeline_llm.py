"""A run's LLM summaries are requested concurrently, up to ``summary.llm_concurrency`` at a time."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from chatserver import ChatServer, bullets

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from corpus import REFERENCE, generate_corpus, serve_corpus  # noqa: E402
from pipeline import bench_settings  # noqa: E402

from blogsift.pipeline import Pipeline  # noqa: E402


def test_summaries_of_one_run_overlap_up_to_the_concurrency_setting(store):
    corpus = generate_corpus(6, 4, real=False)
    settings = bench_settings()
    settings.summary.llm = True
    settings.summary.llm_model = "test-model"
    settings.summary.llm_concurrency = 3
    settings.summary.llm_retries = 0
    gate = threading.Event()
    seen: dict[str, int] = {}
    with ChatServer([], default=bullets("요약"), gate=gate) as chat, serve_corpus(corpus) as (base, _):
        settings.summary.llm_base_url = chat.base_url

        def release() -> None:
            # the server holds every request until the gate opens: requests sent one after the other
            # never make three wait at once; sent together, exactly llm_concurrency of them do
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(chat.requests) < 3:
                time.sleep(0.02)
            time.sleep(1.0)   # would a fourth arrive?
            seen["waiting"] = len(chat.requests)
            gate.set()

        store.put_document("registry_seeded", "test")
        for src in corpus.sources(base):
            store.upsert_source(src)
        watcher = threading.Thread(target=release)
        watcher.start()
        report = Pipeline(store, settings, progress=False).run(since=REFERENCE.replace(month=8), until=REFERENCE)
        gate.set()
        watcher.join()
    assert report.selected >= 4 and report.summarized == report.selected
    assert seen["waiting"] == 3
