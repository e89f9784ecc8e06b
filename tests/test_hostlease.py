"""Per-host slots shared by worker processes, on a real PostgreSQL: a request holds exactly one of a
host's slots while it runs and none after it; when every slot is held, the next request waits."""

from __future__ import annotations

import asyncio
import os

import psycopg
import pytest

from blogsift.hostlease import _NAMESPACE, PgHostGate, _host_key, conninfo_from_url

pytestmark = pytest.mark.postgres


def _conninfo() -> str:
    url = os.environ.get("BLOGSIFT_TEST_PG_URL")
    if not url:
        pytest.fail("BLOGSIFT_TEST_PG_URL is not set")
    return conninfo_from_url(url)


def _held_slots(host: str) -> list[int]:
    """The slots of ``host`` locked by any session (pg_locks: classid is the first key, objid the second)."""
    key = _NAMESPACE ^ _host_key(host)
    with psycopg.connect(_conninfo(), autocommit=True) as conn:
        rows = conn.execute("SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 "
                            "AND classid::bigint = %s::bigint & 4294967295", (key,)).fetchall()
    return sorted(int(r[0]) for r in rows)


def test_a_request_holds_one_slot_and_frees_it():
    async def main() -> tuple[list[int], list[int]]:
        gate = await PgHostGate(_conninfo(), concurrency=8, delay=0.0).open()
        try:
            async with gate("one.example"):
                during = _held_slots("one.example")
            return during, _held_slots("one.example")
        finally:
            await gate.close()

    during, after = asyncio.run(main())
    assert len(during) == 1 and 0 <= during[0] < 8   # one slot of eight, not every free one
    assert after == []


def test_when_every_slot_is_held_the_next_request_waits_for_one():
    async def main() -> list[str]:
        gate = await PgHostGate(_conninfo(), concurrency=2, delay=0.0).open()
        events: list[str] = []
        release = asyncio.Event()

        async def holder(name: str) -> None:
            async with gate("two.example"):
                events.append(f"{name} in")
                await release.wait()
            events.append(f"{name} out")

        async def third() -> None:
            async with gate("two.example"):
                events.append("third in")

        try:
            holders = [asyncio.create_task(holder(n)) for n in ("a", "b")]
            while len(events) < 2:
                await asyncio.sleep(0.01)
            waiting = asyncio.create_task(third())
            await asyncio.sleep(0.3)
            assert "third in" not in events and sorted(_held_slots("two.example")) == [0, 1]
            release.set()
            await asyncio.gather(*holders, waiting)
        finally:
            await gate.close()
        return events

    events = asyncio.run(main())
    assert events.index("third in") > min(events.index("a out"), events.index("b out"))
    assert _held_slots("two.example") == []
