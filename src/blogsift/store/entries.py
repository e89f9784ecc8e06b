"""Digest entries, their summaries and the decisions people made: the rows a person can edit."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..models import Decision, Summary
from .schema import _aware, decisions_t, entries_t, summaries_t, utcnow


class EntryRows:
    def put_summary(self, post_id: int, summary: Summary) -> bool:
        """Store a summary; a person's summary is never replaced by a machine's (returns False)."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(summaries_t.c.produced_by).where(summaries_t.c.post_id == post_id)).first()
            if row and row[0].startswith("person") and not summary.by_person:
                return False
            self._upsert(conn, summaries_t, {"post_id": post_id, "bullets": list(summary.bullets),
                                             "lang": summary.lang, "produced_by": summary.author,
                                             "produced_at": utcnow()}, ["post_id"])
        return True

    def get_summary(self, post_id: int) -> Summary | None:
        row = self._get_produced(summaries_t, post_id)
        if not row:
            return None
        return Summary(bullets=list(row["bullets"]), author=row["produced_by"], lang=row["lang"])

    # -- decisions ----------------------------------------------------------------------------
    def add_decision(self, decision: Decision) -> None:
        decision.at = decision.at or utcnow()
        with self.engine.begin() as conn:
            conn.execute(decisions_t.insert().values(url=decision.url, action=decision.action,
                                                     author=decision.author, payload=dict(decision.payload),
                                                     at=decision.at))

    @staticmethod
    def _decision(row: Any) -> Decision:
        m = row._mapping
        return Decision(url=m["url"], action=m["action"], author=m["author"], payload=dict(m["payload"]),
                        at=_aware(m["at"]))

    def decisions_for(self, url: str) -> list[Decision]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(decisions_t).where(decisions_t.c.url == url).order_by(decisions_t.c.id))
            return [self._decision(r) for r in rows]

    def all_decisions(self) -> list[Decision]:
        with self.engine.connect() as conn:
            return [self._decision(r) for r in conn.execute(sa.select(decisions_t).order_by(decisions_t.c.id))]

    # -- digest entries -----------------------------------------------------------------------
    _ENTRY_DEFAULTS = {"post_id": None, "org": None, "bullets": [], "images": [], "raw_md": None,
                       "origin": "machine", "status": "accepted", "summary_author": "", "extra": {}}

    def upsert_entry(self, entry: dict) -> int:
        """Insert or update the entry with this URL; ``seq`` (acceptance order) is kept once assigned."""
        values = {k: v for k, v in entry.items() if k in entries_t.c and k not in ("id",)}
        values["updated_at"] = utcnow()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(entries_t.c.id, entries_t.c.seq).where(entries_t.c.url == entry["url"])).first()
            if row:
                if values.get("seq") is None:
                    values.pop("seq", None)
                conn.execute(entries_t.update().where(entries_t.c.id == row[0]).values(**values))
                return int(row[0])
            for k, v in self._ENTRY_DEFAULTS.items():
                values.setdefault(k, v if not isinstance(v, (list, dict)) else type(v)())
            if values.get("seq") is None:
                values["seq"] = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(entries_t.c.seq), 0))).scalar_one()) + 1
            return int(conn.execute(entries_t.insert().values(**values)).inserted_primary_key[0])

    @staticmethod
    def _entry(row: Any) -> dict:
        d = dict(row._mapping)
        d["bullets"] = list(d["bullets"] or [])
        d["images"] = list(d["images"] or [])
        d["extra"] = dict(d["extra"] or {})
        d["updated_at"] = _aware(d["updated_at"])
        return d

    def get_entry(self, url: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(entries_t).where(entries_t.c.url == url)).first()
        return self._entry(row) if row else None

    def list_entries(self, status: str | None = "accepted") -> list[dict]:
        q = sa.select(entries_t).order_by(entries_t.c.seq)
        if status is not None:
            q = q.where(entries_t.c.status == status)
        with self.engine.connect() as conn:
            return [self._entry(r) for r in conn.execute(q)]

    def delete_entry(self, url: str) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(entries_t.delete().where(entries_t.c.url == url)).rowcount > 0
