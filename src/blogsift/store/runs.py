"""Runs of the pipeline: when they started and finished, and what they did."""

from __future__ import annotations

import sqlalchemy as sa

from .schema import runs_t, utcnow


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
