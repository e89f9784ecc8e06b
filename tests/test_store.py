"""The store on real SQLite and real PostgreSQL: same behaviour through the one data-access layer."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from blogsift.errors import StoreError
from blogsift.models import Classification, Decision, Enrichment, Post, Score, SeriesInfo, Source, Summary
from blogsift.store import SCHEMA_VERSION, Store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request, tmp_path):
    if request.param == "sqlite":
        s = Store.memory_file(tmp_path)
    else:
        url = os.environ.get("BLOGSIFT_TEST_PG_URL")
        if not url:
            pytest.fail("BLOGSIFT_TEST_PG_URL is not set")
        from conftest import reset_postgres
        reset_postgres(url)
        s = Store(url)
    yield s
    s.close()


def _post(url="https://blog.example.com/a", **kw) -> Post:
    base = dict(url=url, title="Serving LLMs at scale", source_key="ex",
                published=datetime(2026, 10, 3, 12, tzinfo=UTC), text="body", lang="en",
                images=["https://blog.example.com/fig.png"], links=["https://github.com/ex/repo"])
    base.update(kw)
    return Post(**base)


def test_post_roundtrip_and_update_keeps_id(any_store):
    pid = any_store.upsert_post(_post())
    again = any_store.upsert_post(_post(title="Serving LLMs at Scale, revised"))
    assert pid == again
    got = any_store.get_post("https://blog.example.com/a")
    assert got.title == "Serving LLMs at Scale, revised"
    assert got.published == datetime(2026, 10, 3, 12, tzinfo=UTC)
    assert got.links == ["https://github.com/ex/repo"]
    assert any_store.count_posts() == 1


def test_list_posts_by_period(any_store):
    any_store.upsert_post(_post("https://e.com/1", published=datetime(2026, 9, 30, tzinfo=UTC)))
    any_store.upsert_post(_post("https://e.com/2", published=datetime(2026, 10, 1, tzinfo=UTC)))
    any_store.upsert_post(_post("https://e.com/3", published=datetime(2026, 11, 1, tzinfo=UTC)))
    urls = [p.url for p in any_store.list_posts(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))]
    assert urls == ["https://e.com/2"]


def test_person_summary_is_never_replaced_by_machine(any_store):
    pid = any_store.upsert_post(_post())
    assert any_store.put_summary(pid, Summary(["machine bullet"], "extractive"))
    assert any_store.put_summary(pid, Summary(["내가 쓴 요약"], "person:curator"))
    assert not any_store.put_summary(pid, Summary(["llm bullet"], "llm:some-model"))
    assert any_store.get_summary(pid).bullets == ["내가 쓴 요약"]
    assert any_store.put_summary(pid, Summary(["고친 요약"], "person:curator"))
    assert any_store.get_summary(pid).author == "person:curator"


def test_produced_records_roundtrip(any_store):
    pid = any_store.upsert_post(_post())
    enr = Enrichment(canonical_url="https://blog.example.com/a", code_links=["https://github.com/ex/repo"],
                     series=SeriesInfo(name="serving", part=2, previous_urls=["https://blog.example.com/p1"]))
    any_store.put_enrichment(pid, enr)
    assert any_store.get_enrichment(pid) == enr
    cls = Classification(True, 0.9, "business", 0.8, "training_inference_mlops", 0.7, model="clf:test")
    any_store.put_classification(pid, cls)
    assert any_store.get_classification(pid) == cls
    score = Score(0.72, {"business": 0.2, "code": 0.15}, ["+0.20 business case", "+0.15 public code"])
    any_store.put_score(pid, score)
    assert any_store.get_score(pid) == score


def test_decisions_are_append_only_in_order(any_store):
    any_store.add_decision(Decision("https://e.com/1", "accept", "person:a"))
    any_store.add_decision(Decision("https://e.com/1", "move", "person:b", {"track": "aws", "area": "cv"}))
    got = any_store.decisions_for("https://e.com/1")
    assert [d.action for d in got] == ["accept", "move"]
    assert got[1].payload == {"track": "aws", "area": "cv"}
    assert got[0].at.tzinfo is not None


def test_entries_keep_acceptance_order(any_store):
    a = {"url": "https://e.com/a", "track": "research", "area": "nlp", "month": "2026-10", "title_md": "A"}
    b = {"url": "https://e.com/b", "track": "research", "area": "nlp", "month": "2026-10", "title_md": "B"}
    any_store.upsert_entry(a)
    any_store.upsert_entry(b)
    any_store.upsert_entry({**a, "title_md": "*A*"})  # an update must not move it to the end
    entries = any_store.list_entries()
    assert [e["title_md"] for e in entries] == ["*A*", "B"]
    assert entries[0]["seq"] < entries[1]["seq"]
    any_store.upsert_entry({**b, "status": "rejected"})
    assert [e["url"] for e in any_store.list_entries()] == ["https://e.com/a"]
    assert [e["url"] for e in any_store.list_entries("rejected")] == ["https://e.com/b"]


def test_sources_and_status(any_store):
    src = Source(key="ex", name="Example", feed_url="https://e.com/feed", org="Example", lang="en")
    any_store.upsert_source(src)
    assert any_store.get_source("ex") == src
    any_store.set_source_status("ex", "error", "HTTP 500")
    any_store.set_source_status("ex", "error", "HTTP 500")
    st = any_store.source_status("ex")
    assert (st["status"], st["fail_count"], st["last_error"]) == ("error", 2, "HTTP 500")
    any_store.set_source_status("ex", "ok")
    assert any_store.source_status("ex")["fail_count"] == 0
    assert any_store.remove_source("ex") and any_store.get_source("ex") is None


def test_cache_and_documents(any_store):
    any_store.cache_put("hn", "https://e.com/a", {"points": 120})
    assert any_store.cache_get("hn", "https://e.com/a") == {"points": 120}
    assert any_store.cache_get("hn", "https://e.com/a", max_age_s=-1) is None
    any_store.put_document("digest", "# 제목\n")
    any_store.put_document("digest", "# 제목 2\n")
    assert any_store.get_document("digest") == "# 제목 2\n"


def test_validators(any_store):
    assert any_store.get_validators("https://e.com/feed") is None
    any_store.put_validators("https://e.com/feed", '"abc"', "Tue, 03 Nov 2026 10:00:00 GMT", 200, "h1")
    v = any_store.get_validators("https://e.com/feed")
    assert v["etag"] == '"abc"' and v["last_modified"].startswith("Tue")


def test_sqlite_is_wal_and_versioned(tmp_path):
    s = Store.memory_file(tmp_path)
    assert s.schema_version() == SCHEMA_VERSION
    s.close()
    conn = sqlite3.connect(tmp_path / "blogsift.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    Store.memory_file(tmp_path).close()  # reopening does not re-run migrations


def test_newer_schema_is_refused(tmp_path):
    s = Store.memory_file(tmp_path)
    with s.engine.begin() as conn:
        conn.execute(sa.text("UPDATE meta SET value='999' WHERE key='schema_version'"))
    s.close()
    with pytest.raises(StoreError, match="newer"):
        Store.memory_file(tmp_path)


def test_unreachable_database_is_a_clear_error(tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(StoreError) as info:
        Store(f"sqlite:///{tmp_path}/a-file/blogsift.db")
    assert info.value.url
