"""Runs of the pipeline: when they started and finished, what they did, and the lock that lets only
one run work on a store at a time.

The run lock is a lease row (who holds it, since when, until when) renewed while the run works. On
PostgreSQL the holder also keeps a session advisory lock, which the server drops the moment the
holder's connection dies, so a crashed run on any machine frees the store at once. On SQLite a lease
whose holder process is gone (same host) is taken over at once; otherwise a crashed run's lease
expires after ``RUN_LEASE_S``.
"""

from __future__ import annotations

import getpass
import os
import secrets
import socket
import threading
import time
import zlib
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Iterator

import sqlalchemy as sa

from ..errors import RunLocked
from .schema import _aware, run_lock_t, runs_t, utcnow

#: how long a run's lease lasts without renewal: long enough for a stalled disk or a GC pause, short
#: enough that a crashed run on another machine blocks the next one for minutes, not hours
RUN_LEASE_S = 120.0
#: renewals per lease period (a renewal may fail a few times before the lease runs out)
RENEWALS_PER_LEASE = 4
#: tenths of a second to wait for the lease row of a PostgreSQL holder that has just taken the lock
HOLDER_ROW_WAITS = 30
_LOCK_NAME = "run"
_PG_LOCK_KEY = zlib.crc32(b"blogsift run lock")


def _holder() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def _process_gone(host: str, pid: int) -> bool:
    """True when the holder ran on this host and its process no longer exists."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class RunRows:
    # -- runs ---------------------------------------------------------------------------------
    def start_run(self) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(runs_t.insert().values(started_at=utcnow(), status="running", stats={}))
                       .inserted_primary_key[0])

    def finish_run(self, run_id: int, status: str, stats: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(runs_t.update().where(runs_t.c.id == run_id).values(
                finished_at=utcnow(), status=status, stats=stats))

    def last_runs(self, n: int = 5) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(runs_t).order_by(runs_t.c.id.desc()).limit(n))]

    # -- the run lock -------------------------------------------------------------------------
    @contextmanager
    def run_lock(self, lease_s: float = RUN_LEASE_S) -> Iterator[dict]:
        """Hold the store's run lock for the ``with`` block (re-entrant in the thread that holds it).
        Raises ``RunLocked`` saying who holds it and since when."""
        held = getattr(self, "_run_lock_held", None)
        if held is not None and held["thread"] == threading.get_ident():
            held["depth"] += 1
            try:
                yield held["lease"]
            finally:
                held["depth"] -= 1
            return
        pg_conn = self._pg_run_lock() if self.dialect == "postgresql" else None
        try:
            lease = self._take_lease(lease_s, force=pg_conn is not None)
        except BaseException:
            if pg_conn is not None:
                self._pg_run_unlock(pg_conn)
            raise
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew_lease, args=(lease["token"], lease_s, stop),
                                   name="blogsift-run-lease", daemon=True)
        renewer.start()
        self._run_lock_held = {"depth": 1, "lease": lease, "thread": threading.get_ident()}
        try:
            yield lease
        finally:
            self._run_lock_held = None
            stop.set()
            renewer.join(5)
            with self.engine.begin() as conn:
                conn.execute(run_lock_t.delete().where(run_lock_t.c.token == lease["token"]))
            if pg_conn is not None:
                self._pg_run_unlock(pg_conn)

    def run_lock_holder(self) -> dict | None:
        """The current lease (holder, since, expires_at), if any, expired or not."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(run_lock_t).where(run_lock_t.c.name == _LOCK_NAME)).first()
        if row is None:
            return None
        d = dict(row._mapping)
        d["since"], d["expires_at"] = _aware(d["since"]), _aware(d["expires_at"])
        return d

    def _pg_run_lock(self) -> Any:
        conn = self.engine.connect()
        try:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_LOCK_KEY}).scalar()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            holder = self.run_lock_holder()
            for _ in range(HOLDER_ROW_WAITS):   # it writes its lease right after taking the lock
                if holder is not None:
                    break
                time.sleep(0.1)
                holder = self.run_lock_holder()
            raise self._refusal(holder)
        return conn

    @staticmethod
    def _pg_run_unlock(conn: Any) -> None:
        try:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
            conn.close()
        except sa.exc.SQLAlchemyError:
            conn.invalidate()   # the session ends, and its advisory lock with it

    def _take_lease(self, lease_s: float, *, force: bool) -> dict:
        """Write our lease, unless a live one is there (``force``: the advisory lock says it is not)."""
        now = utcnow()
        lease = {"name": _LOCK_NAME, "holder": _holder(), "host": socket.gethostname(), "pid": os.getpid(),
                 "token": secrets.token_hex(16), "since": now, "expires_at": now + timedelta(seconds=lease_s)}
        with self._serialized("run-lock") as conn:
            row = conn.execute(sa.select(run_lock_t).where(run_lock_t.c.name == _LOCK_NAME)).first()
            if row is not None:
                current = dict(row._mapping)
                live = _aware(current["expires_at"]) > now and not _process_gone(current["host"], current["pid"])
                if live and not force:
                    raise self._refusal(current)
                conn.execute(run_lock_t.delete().where(run_lock_t.c.name == _LOCK_NAME))
            conn.execute(run_lock_t.insert().values(**lease))
        return lease

    def _renew_lease(self, token: str, lease_s: float, stop: threading.Event) -> None:
        while not stop.wait(lease_s / RENEWALS_PER_LEASE):
            try:
                with self.engine.begin() as conn:
                    conn.execute(run_lock_t.update().where(run_lock_t.c.token == token)
                                 .values(expires_at=utcnow() + timedelta(seconds=lease_s)))
            except sa.exc.SQLAlchemyError:
                continue   # a busy database: the next renewal comes well before the lease ends

    def _refusal(self, holder: dict | None) -> RunLocked:
        if holder is None:
            return RunLocked("another run holds this store's run lock; wait for it to finish", url=self.url)
        since = _aware(holder["since"])
        return RunLocked(f"another run holds this store: {holder['holder']} since {since:%Y-%m-%d %H:%M:%S} UTC; "
                         "wait for it to finish (a crashed run's lock is freed when its process is gone, "
                         f"or at the latest {_aware(holder['expires_at']):%H:%M:%S} UTC)",
                         url=self.url, holder=holder["holder"], since=since)
