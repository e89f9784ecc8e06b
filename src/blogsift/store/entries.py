"""Digest entries, their summaries and the decisions people made: the rows a person can edit.

Every write adds one to the row's ``version``. The machine writes an entry or a summary only over
the version it read, checked and written in one serialized transaction (``_serialized``), so a
person's edit made while the machine was working (an LLM call takes seconds) is never overwritten:
the machine's write returns False and the caller reports it. A person's decision and the entry
change it makes are one transaction too (``decide``).
"""

from __future__ import annotations

from typing import Any, Callable

import sqlalchemy as sa

from ..models import Decision, Summary
from .schema import _aware, decisions_t, entries_t, summaries_t, utcnow

#: origins of entries a machine may rewrite; "import" and "person" entries belong to the person
MACHINE_ORIGINS = ("machine",)


class EntryRows:
    def put_summary(self, post_id: int, summary: Summary, *, expect_version: int | None = None) -> bool:
        """Store a summary. A person's summary is never replaced by a machine's; with
        ``expect_version`` (the version read; 0: there was none) the machine's summary is written only
        over that version. Returns False when it was not written."""
        return self._put_versioned(summaries_t, post_id, {"bullets": list(summary.bullets), "lang": summary.lang},
                                   summary.author, expect_version)

    def get_summary(self, post_id: int) -> Summary | None:
        row = self._get_produced(summaries_t, post_id)
        if not row:
            return None
        return Summary(bullets=list(row["bullets"]), author=row["produced_by"], lang=row["lang"],
                       version=int(row["version"]))

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
        """Insert or update the entry with this URL (a person's or an import's write: unconditional);
        ``seq`` (acceptance order) is kept once assigned."""
        with self._serialized(f"entry:{entry['url']}") as conn:
            return self._write_entry(conn, entry)

    def put_machine_entry(self, entry: dict, *, expect_version: int | None) -> bool:
        """The machine's entry, written only if the row is still as the machine read it: absent
        (``expect_version`` None) with no decision of a person about the URL, or at
        ``expect_version`` and still the machine's. False: a person got there first; nothing written."""
        url = entry["url"]
        with self._serialized(f"entry:{url}") as conn:
            row = conn.execute(sa.select(entries_t.c.version, entries_t.c.origin)
                               .where(entries_t.c.url == url)).first()
            if expect_version is None:
                decided = conn.execute(sa.select(decisions_t.c.id).where(decisions_t.c.url == url).limit(1)).first()
                if row is not None or decided is not None:
                    return False
            elif row is None or row[0] != expect_version or row[1] not in MACHINE_ORIGINS:
                return False
            self._write_entry(conn, entry, expect_version=expect_version)
        return True

    def _write_entry(self, conn: sa.Connection, entry: dict, expect_version: int | None = None) -> int:
        values = {k: v for k, v in entry.items() if k in entries_t.c and k not in ("id", "version")}
        values["updated_at"] = utcnow()
        if values.get("seq") is None:
            values.pop("seq", None)
        where = entries_t.c.url == entry["url"]
        if expect_version is not None:
            where = where & (entries_t.c.version == expect_version)
        row = conn.execute(entries_t.update().where(where).values(version=entries_t.c.version + 1, **values)
                           .returning(entries_t.c.id)).first()
        if row is not None:
            return int(row[0])
        for k, v in self._ENTRY_DEFAULTS.items():
            values.setdefault(k, v if not isinstance(v, (list, dict)) else type(v)())
        if values.get("seq") is None:
            values["seq"] = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(entries_t.c.seq), 0)))
                                .scalar_one()) + 1
        return int(conn.execute(entries_t.insert().values(version=1, **values)).inserted_primary_key[0])

    def decide(self, url: str, change: Callable[[dict | None], tuple[Decision, dict | None]]) -> dict | None:
        """A person's decision and what it does to the entry, in one transaction: ``change`` gets the
        entry as it is now (or None) and returns the decision and the entry values to write (or None
        to leave it). Returns the entry after."""
        with self._serialized(f"entry:{url}") as conn:
            row = conn.execute(sa.select(entries_t).where(entries_t.c.url == url)).first()
            decision, values = change(self._entry(row) if row else None)
            decision.at = decision.at or utcnow()
            conn.execute(decisions_t.insert().values(url=decision.url, action=decision.action,
                                                     author=decision.author, payload=dict(decision.payload),
                                                     at=decision.at))
            if values is not None:
                self._write_entry(conn, {**values, "url": url})
        return self.get_entry(url)

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
