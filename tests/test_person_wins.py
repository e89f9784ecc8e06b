"""A person's edit is never overwritten, not even by a race; one run per store at a time.

On SQLite and PostgreSQL: the machine writes entries, summaries and classifications only over the
version it read; an edit made in the review app (served by uvicorn) while a run waits on the LLM
(a local chat-completions server holding its reply) survives and the run says so; two runs started
together: one runs, the other refuses saying who holds the store and since when; a killed run's
lock does not outlive it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from appserver import serve_app
from chatserver import ChatServer, bullets

from blogsift import review
from blogsift.config import Settings
from blogsift.errors import RunLocked
from blogsift.models import Classification, Post, Source, Summary
from blogsift.pipeline import Pipeline
from blogsift.store import Store

URL = "https://tech.example.com/onnx-serving"
TEXT = ("We cut inference latency of our ranking model from 80 ms to 20 ms with ONNX Runtime and dynamic "
        "batching on GPUs, serving 40,000 requests per second in production. ") * 6
OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
BLOGSIFT = str(Path(sys.executable).parent / "blogsift")


def _seed(store: Store) -> int:
    store.put_document("registry_seeded", "test")
    store.upsert_source(Source(key="tech", name="Tech Blog", feed_url="https://tech.example.com/feed",
                               org="Example", kind="company"))
    return store.upsert_post(Post(url=URL, title="Serving our ranking model with ONNX Runtime", source_key="tech",
                                  published=datetime(2026, 10, 5, 9, tzinfo=UTC), text=TEXT, lang="en",
                                  extraction="page"))


def _settings(llm_url: str | None = None) -> Settings:
    s = Settings()
    s.curation.threshold = 0.0
    if llm_url:
        s.summary.llm, s.summary.llm_base_url, s.summary.llm_model = True, llm_url, "test-model"
        s.summary.llm_retries = 0
    return s


# -- the conditional writes themselves ----------------------------------------------------------------

def test_machine_writes_only_over_the_version_it_read(store_url):
    with Store(store_url) as store:
        post_id = _seed(store)
        store.put_summary(post_id, Summary(["기계 요약"], author="extractive"))
        read = store.get_summary(post_id)
        review.edit_summary(store, URL, "mina", ["사람의 요약"])
        assert not store.put_summary(post_id, Summary(["늦은 기계 요약"], author="llm:m"),
                                     expect_version=read.version)
        assert store.get_summary(post_id).bullets == ["사람의 요약"]

        assert store.get_entry(URL) is None          # the machine read: no entry
        review.accept(store, URL, "mina", track="business", area="nlp")
        entry = {"url": URL, "track": "research", "area": "cv", "month": "2026-10", "title_md": "Machine",
                 "bullets": ["x"], "images": [], "origin": "machine", "status": "accepted"}
        assert not store.put_machine_entry(entry, expect_version=None)
        assert store.get_entry(URL)["track"] == "business"

        c = Classification(True, 0.9, "business", 0.8, "nlp", 0.7, model="person:mina")
        store.put_classification(post_id, c)
        assert not store.put_classification(post_id, Classification(True, 0.9, "research", 0.8, "cv", 0.7,
                                                                    model="clf:v1"))
        assert store.get_classification(post_id).track == "business"


def test_a_machine_entry_is_refused_once_a_person_decided_about_the_post(store_url):
    with Store(store_url) as store:
        _seed(store)
        review.move(store, URL, "mina", "research", "nlp")      # no entry yet: only the decision
        entry = {"url": URL, "track": "business", "area": "cv", "month": "2026-10", "title_md": "Machine",
                 "bullets": [], "images": [], "origin": "machine", "status": "accepted"}
        assert not store.put_machine_entry(entry, expect_version=None)
        assert review.accept(store, URL, "mina")["track"] == "research"   # the pending move applies


def test_concurrent_upserts_of_one_entry_never_fail(store_url):
    """The entry upsert used to check, then insert: two writers of a new URL collided
    (IntegrityError on PostgreSQL, "database is locked" on SQLite)."""
    stores = [Store(store_url) for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(stores))

    def writer(store: Store, k: int) -> None:
        try:
            for i in range(15):
                barrier.wait(10) if i == 0 else None
                store.upsert_entry({"url": f"https://e.example.com/{i}", "track": "research", "area": "cv",
                                    "month": "2026-10", "title_md": f"Writer {k}", "bullets": [], "images": [],
                                    "origin": "import", "status": "accepted"})
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s, k)) for k, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        entries = stores[0].list_entries()
        assert len(entries) == 15 and all(e["version"] >= 1 for e in entries)
    finally:
        for s in stores:
            s.close()


# -- races with the review app ------------------------------------------------------------------------

class ReviewApp:
    """The review app under uvicorn on 127.0.0.1, over its own connection to the store."""

    def __init__(self, store_url: str):
        self.store_url = store_url

    def __enter__(self) -> "ReviewApp":
        from blogsift.web import create_app
        self.store = Store(self.store_url)
        settings = Settings()
        settings.review.author = "mina"
        self.serving = serve_app(create_app(self.store, settings, token=""))
        self.client = httpx.Client(base_url=self.serving.__enter__(), timeout=30)
        return self

    def post_form(self, page: str, action: str, form: dict) -> httpx.Response:
        html = self.client.get(page).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        return self.client.post(action, data={**form, "csrf_token": token, "next": "/"}, follow_redirects=False)

    def __exit__(self, *exc) -> None:
        self.client.close()
        self.serving.__exit__(None, None, None)
        self.store.close()


def _run_in_thread(store: Store, settings: Settings) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def go() -> None:
        try:
            out["report"] = Pipeline(store, settings, progress=False).run(since=OCTOBER[0], until=OCTOBER[1],
                                                                          fetch=False)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            out["error"] = exc

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread, out


def _act_while_the_run_waits_on_the_model(store: Store, store_url: str, settings: Settings, llm: ChatServer,
                                          gate: threading.Event, action: str, form: dict):
    """Start a run; when it is waiting for the model's reply, post ``form`` to the review app; then let
    the model answer and return the run's report."""
    post_id = store.get_post(URL).id
    thread, out = _run_in_thread(store, settings)
    try:
        assert llm.arrived.wait(60), "the run never asked the model"
        with ReviewApp(store_url) as app:
            r = app.post_form(f"/post/{post_id}", action, {"url": URL, "post_id": str(post_id), **form})
            assert r.status_code == 303, r.text
    finally:
        gate.set()
        thread.join(120)
    assert not thread.is_alive()
    if "error" in out:
        raise out["error"]
    return out["report"]


def test_a_summary_edited_in_the_review_app_while_the_run_summarizes_survives(store_url):
    gate = threading.Event()
    with Store(store_url) as store, ChatServer([], default=bullets("ONNX Runtime로 지연 80 ms → 20 ms"),
                                               gate=gate) as llm:
        post_id = _seed(store)
        report = _act_while_the_run_waits_on_the_model(
            store, store_url, _settings(llm.base_url), llm, gate, "/edit",
            {"title_md": "", "bullets": "사람이 고친 요약", "then": "accept"})
        entry, summary = store.get_entry(URL), store.get_summary(post_id)
    assert entry["bullets"] == ["사람이 고친 요약"] and entry["origin"] == "person"
    assert summary.bullets == ["사람이 고친 요약"] and summary.author == "person:mina"
    assert f"kept the person's edit of {URL}" in report.warnings


def test_an_entry_moved_in_the_review_app_while_the_run_resummarizes_it_stays_moved(store_url):
    gate = threading.Event()
    with Store(store_url) as store, ChatServer([], default=bullets("ONNX Runtime serving: 80 ms → 20 ms"),
                                               gate=gate) as llm:
        _seed(store)
        Pipeline(store, _settings(), progress=False).run(since=OCTOBER[0], until=OCTOBER[1], fetch=False)
        first = store.get_entry(URL)
        assert first["origin"] == "machine" and first["version"] == 1
        settings = _settings(llm.base_url)
        settings.summary.lang = "en"                  # the run writes this post's summary anew
        report = _act_while_the_run_waits_on_the_model(store, store_url, settings, llm, gate, "/act",
                                                       {"action": "move", "track": "research", "area": "nlp"})
        entry = store.get_entry(URL)
    assert (entry["track"], entry["area"], entry["origin"]) == ("research", "nlp", "person")
    assert entry["bullets"] == first["bullets"]          # not the machine's new summary either
    assert f"kept the person's edit of {URL}" in report.warnings


# -- one run at a time --------------------------------------------------------------------------------

def _config(tmp_path: Path, llm_url: str) -> Path:
    cfg = tmp_path / "blogsift.toml"
    cfg.write_text(f'[curation]\nthreshold = 0.0\n[summary]\nllm = true\nllm_base_url = "{llm_url}"\n'
                   f'llm_model = "test-model"\nllm_retries = 0\n', encoding="utf-8")
    return cfg


def _cli_run(store_url: str, cfg: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([BLOGSIFT, "--db", store_url, "--config", str(cfg), "run", "--no-fetch",
                             "--month", "2026-10", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})


def test_two_runs_started_together_one_runs_one_refuses_and_a_killed_runs_lock_dies_with_it(store_url, tmp_path):
    gate = threading.Event()
    with Store(store_url) as store:
        _seed(store)
    with ChatServer([], default=bullets("ONNX Runtime로 지연 80 ms → 20 ms"), gate=gate) as llm:
        cfg = _config(tmp_path, llm.base_url)
        procs = [_cli_run(store_url, cfg, tmp_path / f"digest{i}.md") for i in range(2)]
        try:
            assert llm.arrived.wait(90), "no run reached the model"
            deadline = time.monotonic() + 90
            while all(p.poll() is None for p in procs):     # the other one refuses on its own
                assert time.monotonic() < deadline, "neither run refused"
                time.sleep(0.05)
            loser = next(p for p in procs if p.poll() is not None)
            winner = next(p for p in procs if p is not loser)
            _out, refused = loser.communicate()
            assert loser.returncode != 0 and "Traceback" not in refused
            assert "another run holds this store" in refused and f"pid {winner.pid} since" in refused
            # the winner dies while it holds the lock: the store is free again at once
            winner.send_signal(signal.SIGKILL)
            winner.wait(30)
        finally:
            gate.set()
            for p in procs:
                p.kill() if p.poll() is None else None
    with Store(store_url) as store:
        with store.run_lock():
            assert f"pid {os.getpid()}" in store.run_lock_holder()["holder"]


def test_a_lease_from_another_machine_holds_until_it_expires(store_url):
    from blogsift.store.schema import run_lock_t
    with Store(store_url) as store:
        now = datetime.now(UTC)
        with store.engine.begin() as conn:
            conn.execute(run_lock_t.insert().values(name="run", holder="ana@build-02 pid 4242", host="build-02",
                                                    pid=4242, token="t" * 32, since=now - timedelta(minutes=3),
                                                    expires_at=now + timedelta(minutes=1)))
        if store.dialect == "sqlite":
            with pytest.raises(RunLocked) as info:
                with store.run_lock():
                    pass
            assert info.value.holder == "ana@build-02 pid 4242" and "since" in str(info.value)
            with store.engine.begin() as conn:     # its lease runs out: the next run takes the store
                conn.execute(run_lock_t.update().values(expires_at=now - timedelta(seconds=1)))
        # on PostgreSQL the holder's session lock is what counts: no session holds it, so it is free
        with store.run_lock() as lease:
            assert store.run_lock_holder()["token"] == lease["token"]
        assert store.run_lock_holder() is None


def test_concurrent_stores_of_one_new_post_never_fail(store_url):
    """A run and a watch worker may store the same new post at once: one row, no IntegrityError."""
    stores = [Store(store_url) for _ in range(4)]
    stores[0].upsert_source(Source(key="tech", name="Tech", feed_url="https://tech.example.com/feed"))
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(stores))

    def writer(store: Store) -> None:
        try:
            barrier.wait(10)
            for i in range(10):
                store.upsert_post(Post(url=f"https://tech.example.com/p{i}", title=f"Post {i}", source_key="tech",
                                       lang="en", published=datetime(2026, 10, 5, tzinfo=UTC), text="x"))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == [] and stores[0].count_posts() == 10
    finally:
        for s in stores:
            s.close()
