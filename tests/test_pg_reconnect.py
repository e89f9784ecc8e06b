"""A PostgreSQL server that closed blogsift's idle connections (restarted, or an administrator ended
them) costs no failed call: the store and the worker's connection pools check a connection that sat
idle before using it, and replace it unseen."""

from __future__ import annotations

import asyncio
import os

import psycopg
import pytest

import blogsift.store.schema as schema
from blogsift.hostlease import conninfo_from_url, idle_checked_pool
from blogsift.models import Source
from blogsift.store import Store

pytestmark = pytest.mark.postgres


def _end_other_sessions(conninfo: str) -> int:
    """What a server restart does to clients: every other session of this database is ended."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]


def test_the_store_survives_its_idle_connections_being_closed(pg_url, monkeypatch):
    monkeypatch.setattr(schema, "IDLE_CHECK_AFTER_S", 0.0)   # every pooled connection counts as idle
    store = Store(pg_url)
    try:
        store.upsert_source(Source(key="a", name="A", feed_url="https://a.example/feed"))
        assert _end_other_sessions(conninfo_from_url(pg_url)) >= 1
        assert store.get_source("a").name == "A"
    finally:
        store.close()


def test_the_worker_pool_survives_its_idle_connections_being_closed(monkeypatch):
    url = os.environ.get("BLOGSIFT_TEST_PG_URL")
    if not url:
        pytest.fail("BLOGSIFT_TEST_PG_URL is not set")
    conninfo = conninfo_from_url(url)
    monkeypatch.setattr(schema, "IDLE_CHECK_AFTER_S", 0.0)

    async def main() -> int:
        pool = idle_checked_pool(conninfo=conninfo, min_size=1, max_size=1, open=False,
                                 kwargs={"autocommit": True})
        await pool.open(wait=True)
        try:
            async with pool.connection() as conn:
                await conn.execute("SELECT 1")
            assert _end_other_sessions(conninfo) >= 1
            async with pool.connection() as conn:
                cur = await conn.execute("SELECT 41 + 1")
                return (await cur.fetchone())[0]
        finally:
            await pool.close()

    assert asyncio.run(main()) == 42
