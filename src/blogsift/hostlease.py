"""Per-host politeness kept across worker processes and machines, in PostgreSQL.

In one process the fetcher's own gate keeps at most ``fetch.per_host_concurrency`` requests in flight
to a host, their starts ``fetch.per_host_delay`` apart. Workers on several machines share those limits
through the database they already share:

* **concurrency**: a request holds one of the host's N slots, a row of ``host_leases`` that names its
  holder and ends at ``expires_at``: the request's own deadline (``fetch.total_timeout``) plus a
  margin. A worker releases the slot when its request ends; a worker that dies (SIGKILL, a lost
  machine) cannot, and its slot stays taken until the lease ends, by which time the host has finished
  (or dropped) every request the dead worker had sent. A lock tied to the worker's database session
  would be freed at the kill, while the host may still be serving those requests;
* **delay**: each request reserves its start time in ``host_slots`` with one atomic upsert
  (``next_start = greatest(next_start, now) + delay``), so starts to a host are spaced by the delay
  whichever worker makes them.

Both use the database's clock (machines' clocks may differ), and each costs one statement.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
import uuid
import weakref
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

__all__ = ["PgHostGate", "conninfo_from_url", "idle_checked_pool"]

#: how long to wait before trying the host's slots again when all are taken: short against a request's
#: duration (tens of ms to seconds), doubled on each miss up to SLOT_RETRY_MAX_S (slots held by a dead
#: worker's leases stay taken for a while), jittered so that waiting workers do not poll in lockstep
SLOT_RETRY_S = 0.02
SLOT_RETRY_MAX_S = 0.5
#: seconds a lease outlives the deadline of the request it covers (the clocks of the worker's event loop
#: and of the database, and the time to send the release, are not exact)
LEASE_MARGIN_S = 5.0

#: a free slot of the host, from ``start`` on (wrapping), taken: a slot is free when it has no row or
#: its lease has ended. Two workers racing for one slot both reach the upsert; the loser's WHERE sees
#: the winner's live lease and returns no row, so it tries again.
_TAKE_SLOT = """
INSERT INTO host_leases (host, slot, holder, expires_at)
SELECT %(host)s::varchar, s.slot, %(holder)s, clock_timestamp() + make_interval(secs => %(lease)s)
  FROM (SELECT (g + %(start)s) %% %(n)s AS slot FROM generate_series(0, %(n)s - 1) AS g) AS s
 WHERE NOT EXISTS (SELECT 1 FROM host_leases AS l
                    WHERE l.host = %(host)s::varchar AND l.slot = s.slot AND l.expires_at > clock_timestamp())
 LIMIT 1
ON CONFLICT (host, slot) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
 WHERE host_leases.expires_at <= clock_timestamp()
RETURNING slot
"""
_RELEASE = "DELETE FROM host_leases WHERE host = %(host)s AND slot = %(slot)s AND holder = %(holder)s"

#: the request's start time, reserved ``delay`` after the host's previous one; the seconds to wait for it
#: are returned, and the slot's lease is made to run from that start (a queue of waiting requests can
#: push a start back by more than the lease's margin)
_RESERVE = """
WITH r AS (
  INSERT INTO host_slots (host, next_start)
  VALUES (%(host)s, clock_timestamp() + make_interval(secs => %(delay)s))
  ON CONFLICT (host) DO UPDATE
     SET next_start = greatest(host_slots.next_start, clock_timestamp()) + make_interval(secs => %(delay)s)
  RETURNING extract(epoch FROM (host_slots.next_start - make_interval(secs => %(delay)s) - clock_timestamp()))
            AS wait
), extended AS (
  UPDATE host_leases SET expires_at = greatest(host_leases.expires_at,
                                               clock_timestamp() + make_interval(secs => %(lease)s + r.wait))
    FROM r WHERE host_leases.host = %(host)s AND host_leases.slot = %(slot)s AND host_leases.holder = %(holder)s
)
SELECT wait FROM r
"""


def idle_checked_pool(**kwargs: Any) -> Any:
    """A psycopg ``AsyncConnectionPool`` that checks a connection before handing it out only when it
    has sat idle for ``store.schema.IDLE_CHECK_AFTER_S`` (a database restarted meanwhile has closed it, and it is
    replaced unseen). Checking every time, as procrastinate's own pool does, costs a round trip per
    query; a worker reuses its connections within milliseconds, when a check finds nothing."""
    from psycopg_pool import AsyncConnectionPool

    from .store import schema

    returned: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def reset(conn: Any) -> None:
        returned[conn] = time.monotonic()

    async def check(conn: Any) -> None:
        if time.monotonic() - returned.get(conn, 0.0) > schema.IDLE_CHECK_AFTER_S:
            await AsyncConnectionPool.check_connection(conn)

    return AsyncConnectionPool(**{**kwargs, "check": check, "reset": reset})


def conninfo_from_url(url: str) -> str:
    """The libpq connection string of an SQLAlchemy PostgreSQL URL (``postgresql+psycopg://…``)."""
    scheme, rest = url.split("://", 1)
    if not scheme.startswith("postgresql"):
        raise ValueError(f"not a PostgreSQL URL: {url}")
    return "postgresql://" + rest


class PgHostGate:
    """``gate(host)`` is an async context manager holding one request slot of ``host`` cluster-wide.
    Open with ``await gate.open()``; ``await gate.close()`` after. ``request_timeout`` is the longest a
    request may take (``fetch.total_timeout``): a slot's lease covers it."""

    def __init__(self, conninfo: str, concurrency: int, delay: float, *, request_timeout: float,
                 max_connections: int = 16):
        self.conninfo = conninfo
        self.concurrency = max(1, concurrency)
        self.delay = max(0.0, delay)
        self.lease_s = max(0.0, request_timeout) + LEASE_MARGIN_S
        #: names this gate's leases: the machine, the process, and this gate within it
        self.holder = f"{socket.gethostname()[:100]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._max = max_connections
        self._pool = None

    async def open(self) -> PgHostGate:
        self._pool = idle_checked_pool(conninfo=self.conninfo, min_size=1, max_size=self._max, open=False,
                                       kwargs={"autocommit": True})
        await self._pool.open(wait=True)
        return self

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def __call__(self, host: str):
        return self._slot(host.lower()[:255])

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        assert self._pool is not None, "PgHostGate.open() first"
        slot = await self._take_slot(host)
        try:
            if self.delay:
                async with self._pool.connection() as conn:
                    cur = await conn.execute(_RESERVE, {"host": host, "delay": self.delay, "slot": slot,
                                                        "holder": self.holder, "lease": self.lease_s})
                    wait = float((await cur.fetchone())[0])
                if wait > 0:
                    await asyncio.sleep(wait)
            yield
        finally:
            # shielded: a cancelled request (a timeout, a worker stopping) still frees its slot now,
            # not when its lease ends
            await asyncio.shield(self._release(host, slot))

    async def _take_slot(self, host: str) -> int:
        # one statement tries the slots from a random one on and takes the first free one
        params = {"host": host, "holder": self.holder, "lease": self.lease_s, "n": self.concurrency}
        wait = SLOT_RETRY_S
        while True:
            async with self._pool.connection() as conn:
                cur = await conn.execute(_TAKE_SLOT, {**params, "start": random.randrange(self.concurrency)})
                row = await cur.fetchone()
            if row is not None:
                return int(row[0])
            await asyncio.sleep(wait * (1 + random.random()))
            wait = min(SLOT_RETRY_MAX_S, wait * 2)

    async def _release(self, host: str, slot: int) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(_RELEASE, {"host": host, "slot": slot, "holder": self.holder})
