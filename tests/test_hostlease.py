"""Per-host request slots shared by worker processes, on a real PostgreSQL: a request holds exactly one
of a host's slots while it runs and none after it; when every slot is held the next request waits; a
worker killed mid-request keeps its slot until the request's deadline has passed, since the host may
still be serving it; a request kept waiting for its start keeps its slot for as long."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import psycopg
import pytest

import blogsift.hostlease as hostlease
from blogsift.hostlease import PgHostGate, conninfo_from_url
from blogsift.store import Store

pytestmark = pytest.mark.postgres


@pytest.fixture
def conninfo(pg_url) -> str:
    Store(pg_url).close()   # the store's migrations make the lease tables
    return conninfo_from_url(pg_url)


def _held_slots(conninfo: str, host: str) -> list[int]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute("SELECT slot FROM host_leases WHERE host = %s AND expires_at > clock_timestamp()",
                            (host,)).fetchall()
    return sorted(int(r[0]) for r in rows)


def test_a_request_holds_one_slot_and_frees_it(conninfo):
    async def main() -> tuple[list[int], list[int]]:
        gate = await PgHostGate(conninfo, concurrency=8, delay=0.0, request_timeout=10).open()
        try:
            async with gate("one.example"):
                during = _held_slots(conninfo, "one.example")
            return during, _held_slots(conninfo, "one.example")
        finally:
            await gate.close()

    during, after = asyncio.run(main())
    assert len(during) == 1 and 0 <= during[0] < 8   # one slot of eight, not every free one
    assert after == []


def test_when_every_slot_is_held_the_next_request_waits_for_one(conninfo):
    async def main() -> list[str]:
        gate = await PgHostGate(conninfo, concurrency=2, delay=0.0, request_timeout=10).open()
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
            assert "third in" not in events and _held_slots(conninfo, "two.example") == [0, 1]
            release.set()
            await asyncio.gather(*holders, waiting)
        finally:
            await gate.close()
        return events

    events = asyncio.run(main())
    assert events.index("third in") > min(events.index("a out"), events.index("b out"))
    assert _held_slots(conninfo, "two.example") == []


KILLED_MID_REQUEST = """
import asyncio
import blogsift.hostlease as hostlease
hostlease.LEASE_MARGIN_S = 0.5

async def main():
    gate = await hostlease.PgHostGate({conninfo!r}, concurrency=1, delay=0.0, request_timeout=1.0).open()
    async with gate("killed.example"):
        print("in", flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
"""


def test_a_killed_workers_slot_stays_taken_until_its_request_deadline(conninfo):
    proc = subprocess.Popen([sys.executable, "-c", KILLED_MID_REQUEST.format(conninfo=conninfo)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "in"
    finally:
        proc.kill()
        proc.wait(timeout=10)
    killed = time.monotonic()

    async def main() -> float:
        gate = await PgHostGate(conninfo, concurrency=1, delay=0.0, request_timeout=10).open()
        try:
            async with gate("killed.example"):
                return time.monotonic() - killed
        finally:
            await gate.close()

    waited = asyncio.run(main())
    # the dead worker's lease: its request's deadline (1 s) plus the margin (0.5 s), from when it began
    assert 0.8 < waited < 5.0, waited


def test_a_request_waiting_for_its_start_keeps_its_slot(conninfo, monkeypatch):
    monkeypatch.setattr(hostlease, "LEASE_MARGIN_S", 0.2)

    async def main() -> list[int]:
        # a lease of 0.5 s, and starts 1.5 s apart: the second request waits ~1.5 s for its start
        gate = await PgHostGate(conninfo, concurrency=1, delay=1.5, request_timeout=0.3).open()
        try:
            async with gate("slow.example"):
                pass
            second = asyncio.create_task(_enter(gate, "slow.example"))
            await asyncio.sleep(0.9)      # past the lease counted from when the slot was taken
            held = _held_slots(conninfo, "slow.example")
            await second
            return held
        finally:
            await gate.close()

    assert asyncio.run(main()) == [0]


async def _enter(gate: PgHostGate, host: str) -> None:
    async with gate(host):
        pass
