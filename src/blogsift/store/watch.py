"""Watching: each source's polling schedule and what its polls saw, and the periods its posts are known
to be complete for (coverage). Restart-safe: the watcher keeps nothing else between passes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from .schema import _aware, coverage_t, posts_t, sources_t, utcnow, watch_t

#: problems kept per source (newest first); older ones are history nobody reads
MAX_PROBLEMS_KEPT = 20
_WATCH_TIMES = ("next_poll_at", "last_poll_at", "last_ok_at", "last_new_post_at", "feed_oldest", "feed_newest",
                "claimed_until")


class WatchRows:
    # -- schedule -------------------------------------------------------------------------------
    def watch_state(self, key: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(watch_t).where(watch_t.c.source_key == key)).first()
        return self._watch_row(row) if row else None

    def watch_states(self) -> dict[str, dict]:
        with self.engine.connect() as conn:
            return {r.source_key: self._watch_row(r) for r in conn.execute(sa.select(watch_t))}

    @staticmethod
    def _watch_row(row: Any) -> dict:
        d = dict(row._mapping)
        for k in _WATCH_TIMES:
            d[k] = _aware(d[k])
        d["problems"] = list(d["problems"] or [])
        return d

    def put_watch_state(self, key: str, *, coverage: tuple[datetime, datetime, str] | None = None,
                        **values: Any) -> None:
        """Set these columns of the source's schedule row (created when missing), and record
        ``coverage`` (start, end, method) in the same transaction: a poll's outcome is one commit."""
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(watch_t.c.source_key).where(watch_t.c.source_key == key)).first()
            if exists:
                conn.execute(watch_t.update().where(watch_t.c.source_key == key).values(**values))
            else:
                conn.execute(watch_t.insert().values(source_key=key, **{"problems": [], **values}))
            if coverage is not None:
                self._add_coverage(conn, key, *coverage)

    def add_source_problems(self, key: str, problems: list[str], at: datetime | None = None) -> None:
        """Report problems on the source (``status`` shows them); the newest are kept."""
        if not problems:
            return
        at = at or utcnow()
        state = self.watch_state(key)
        kept = [{"at": at.isoformat(), "what": p} for p in problems]
        kept += (state or {}).get("problems", [])
        self.put_watch_state(key, problems=kept[:MAX_PROBLEMS_KEPT])

    def due_sources(self, now: datetime, limit: int | None = None, ahead_s: float = 0.0) -> list[str]:
        """Enabled sources whose next poll is due (or never polled; or due within ``ahead_s`` seconds)
        and not claimed by a queued poll, the longest overdue first."""
        j = sources_t.outerjoin(watch_t, watch_t.c.source_key == sources_t.c.key)
        q = (sa.select(sources_t.c.key).select_from(j)
             .where(sources_t.c.enabled.is_(True))
             .where(sources_t.c.status.notin_(("gone", "paused")))
             .where(sa.or_(watch_t.c.next_poll_at.is_(None),
                           watch_t.c.next_poll_at <= now + timedelta(seconds=ahead_s)))
             .where(sa.or_(watch_t.c.claimed_until.is_(None), watch_t.c.claimed_until <= now))
             .order_by(watch_t.c.next_poll_at.is_(None).desc(), watch_t.c.next_poll_at, sources_t.c.key))
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def next_due_at(self) -> datetime | None:
        """When the next poll falls due (None: a source has never been polled, so now)."""
        with self.engine.connect() as conn:
            missing = conn.execute(
                sa.select(sa.func.count()).select_from(
                    sources_t.outerjoin(watch_t, watch_t.c.source_key == sources_t.c.key))
                .where(sources_t.c.enabled.is_(True)).where(sources_t.c.status.notin_(("gone", "paused")))
                .where(watch_t.c.source_key.is_(None))).scalar_one()
            if missing:
                return None
            when = conn.execute(sa.select(sa.func.min(sa.func.coalesce(
                sa.case((watch_t.c.claimed_until > watch_t.c.next_poll_at, watch_t.c.claimed_until),
                        else_=watch_t.c.next_poll_at), watch_t.c.next_poll_at)))
                .select_from(watch_t.join(sources_t, watch_t.c.source_key == sources_t.c.key))
                .where(sources_t.c.enabled.is_(True))
                .where(sources_t.c.status.notin_(("gone", "paused")))).scalar()
        return _aware(when)

    def claim_sources(self, keys: list[str], now: datetime, until: datetime) -> list[str]:
        """Mark due sources as handed to a queued poll until ``until``; returns those this call claimed.
        The update re-checks the claim under the row lock, so of two schedulers only one claims a source."""
        claimed = []
        for key in keys:
            with self.engine.begin() as conn:
                self._upsert(conn, watch_t, {"source_key": key}, ["source_key"])  # insert if missing
                done = conn.execute(watch_t.update().where(watch_t.c.source_key == key).where(
                    sa.or_(watch_t.c.claimed_until.is_(None), watch_t.c.claimed_until <= now))
                    .values(claimed_until=until)).rowcount
            if done:
                claimed.append(key)
        return claimed

    def publishing_history(self, key: str, since: datetime, until: datetime) -> tuple[int, datetime | None]:
        """How many of the source's stored posts were published in [since, until), and the oldest."""
        with self.engine.connect() as conn:
            n, oldest = conn.execute(sa.select(sa.func.count(), sa.func.min(posts_t.c.published))
                                     .where(posts_t.c.source_key == key).where(posts_t.c.published >= since)
                                     .where(posts_t.c.published < until)).one()
        return int(n), _aware(oldest)

    # -- coverage -------------------------------------------------------------------------------
    def add_coverage(self, key: str, start: datetime, end: datetime, method: str) -> None:
        """Record that every post of ``key`` published in [start, end] is known; overlapping or touching
        intervals are merged into one row."""
        with self.engine.begin() as conn:
            self._add_coverage(conn, key, start, end, method)

    @staticmethod
    def _add_coverage(conn: sa.Connection, key: str, start: datetime, end: datetime, method: str) -> None:
        if end < start:
            return
        rows = conn.execute(sa.select(coverage_t).where(coverage_t.c.source_key == key)
                            .where(coverage_t.c.end_at >= start).where(coverage_t.c.start_at <= end)).all()
        methods = {method}
        for r in rows:
            start = min(start, _aware(r.start_at))
            end = max(end, _aware(r.end_at))
            methods |= set(r.method.split("+"))
        if rows:
            conn.execute(coverage_t.delete().where(coverage_t.c.id.in_([r.id for r in rows])))
        conn.execute(coverage_t.insert().values(source_key=key, start_at=start, end_at=end,
                                                method="+".join(sorted(methods))[:64]))

    def coverage(self, key: str | None = None) -> dict[str, list[tuple[datetime, datetime, str]]]:
        """Per source, its covered intervals in time order."""
        q = sa.select(coverage_t).order_by(coverage_t.c.source_key, coverage_t.c.start_at)
        if key is not None:
            q = q.where(coverage_t.c.source_key == key)
        out: dict[str, list[tuple[datetime, datetime, str]]] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(q):
                out.setdefault(r.source_key, []).append((_aware(r.start_at), _aware(r.end_at), r.method))
        return out
