"""Per-host politeness kept across worker processes and machines, in PostgreSQL.

In one process the fetcher's own gate keeps at most ``fetch.per_host_concurrency`` requests in flight
to a host, their starts ``fetch.per_host_delay`` apart. Workers on several machines share those limits
through the database they already share:

* **concurrency**: a request holds one of the host's N slots, a session advisory lock
  ``pg_try_advisory_lock(host_key, slot)``. A worker that dies (even by SIGKILL) loses its connection,
  and PostgreSQL releases its locks at once: a dead worker never keeps a host blocked;
* **delay**: each request reserves its start time in ``host_slots`` with one atomic upsert
  (``next_start = greatest(next_start, now) + delay``), so starts to a host are spaced by the delay
  whichever worker makes them, using the database's clock (machines' clocks may differ).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import weakref
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

__all__ = ["PgHostGate", "conninfo_from_url", "idle_checked_pool"]

#: how long to wait before trying the host's slots again when all are taken; short against a request's
#: duration (tens of ms to seconds), jittered so that waiting workers do not poll in lockstep
SLOT_RETRY_S = 0.02
#: seconds a pooled connection may sit unused and still be handed out unchecked
IDLE_CHECK_AFTER_S = 2.0
#: advisory lock keys are (int4, int4); the first one names blogsift's host slots among other users
_NAMESPACE = 0x626C6F67  # "blog"

#: the first free slot from ``start`` on (wrapping), locked. The lock is taken in the scan's filter, row
#: by row, and LIMIT stops the scan at the first row that passes: no other slot is locked (in the select
#: list, every scanned row's lock would be taken, returned or not)
_TAKE_SLOT = """
SELECT slot FROM (SELECT (g + %(start)s) %% %(n)s AS slot FROM generate_series(0, %(n)s - 1) AS g) AS slots
 WHERE pg_try_advisory_lock(%(key)s, slot) LIMIT 1
"""

_RESERVE = """
INSERT INTO host_slots (host, next_start) VALUES (%(host)s, clock_timestamp() + make_interval(secs => %(delay)s))
ON CONFLICT (host) DO UPDATE
   SET next_start = greatest(host_slots.next_start, clock_timestamp()) + make_interval(secs => %(delay)s)
RETURNING extract(epoch FROM (host_slots.next_start - make_interval(secs => %(delay)s) - clock_timestamp()))
"""


def idle_checked_pool(**kwargs: Any) -> Any:
    """A psycopg ``AsyncConnectionPool`` that checks a connection before handing it out only when it
    has sat idle for ``IDLE_CHECK_AFTER_S`` (a database restarted meanwhile has closed it, and it is
    replaced unseen). Checking every time, as procrastinate's own pool does, costs a round trip per
    query; a worker reuses its connections within milliseconds, when a check finds nothing."""
    from psycopg_pool import AsyncConnectionPool

    returned: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def reset(conn: Any) -> None:
        returned[conn] = time.monotonic()

    async def check(conn: Any) -> None:
        if time.monotonic() - returned.get(conn, 0.0) > IDLE_CHECK_AFTER_S:
            await AsyncConnectionPool.check_connection(conn)

    return AsyncConnectionPool(**{**kwargs, "check": check, "reset": reset})


def conninfo_from_url(url: str) -> str:
    """The libpq connection string of an SQLAlchemy PostgreSQL URL (``postgresql+psycopg://…``)."""
    scheme, rest = url.split("://", 1)
    if not scheme.startswith("postgresql"):
        raise ValueError(f"not a PostgreSQL URL: {url}")
    return "postgresql://" + rest


def _host_key(host: str) -> int:
    return int.from_bytes(hashlib.sha256(host.lower().encode()).digest()[:4], "big", signed=True)


class PgHostGate:
    """``gate(host)`` is an async context manager holding one request slot of ``host`` cluster-wide.
    Open with ``await gate.open()``; ``await gate.close()`` after."""

    def __init__(self, conninfo: str, concurrency: int, delay: float, *, max_connections: int = 16):
        self.conninfo = conninfo
        self.concurrency = max(1, concurrency)
        self.delay = max(0.0, delay)
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
        return self._slot(host)

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        assert self._pool is not None, "PgHostGate.open() first"
        key = _host_key(host)
        async with self._pool.connection() as conn:
            slot = await self._take_slot(conn, key)
            try:
                if self.delay:
                    cur = await conn.execute(_RESERVE, {"host": host.lower()[:255], "delay": self.delay})
                    wait = float((await cur.fetchone())[0])
                    if wait > 0:
                        await asyncio.sleep(wait)
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_NAMESPACE ^ key, slot))

    async def _take_slot(self, conn, key: int) -> int:
        # one round trip tries the slots from a random one on, and stops at the first it gets
        while True:
            cur = await conn.execute(_TAKE_SLOT, {"key": _NAMESPACE ^ key, "n": self.concurrency,
                                                  "start": random.randrange(self.concurrency)})
            row = await cur.fetchone()
            if row is not None:
                return int(row[0])
            await asyncio.sleep(SLOT_RETRY_S * (1 + random.random()))
