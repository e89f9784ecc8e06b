"""Sources of the registry and their per-run status; HTTP validators of fetched URLs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from ..models import Source
from .schema import _aware, chunks, sources_t, utcnow, validators_t


class SourceRows:
    # -- sources ------------------------------------------------------------------------------
    def upsert_source(self, source: Source) -> None:
        values = asdict(source)
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(sources_t.c.key).where(sources_t.c.key == source.key)).first()
            if exists:
                conn.execute(sources_t.update().where(sources_t.c.key == source.key).values(**values))
            else:
                conn.execute(sources_t.insert().values(**values, status="new", fail_count=0, added_at=utcnow()))

    @staticmethod
    def _source(row: Any) -> Source:
        m = row._mapping
        return Source(key=m["key"], name=m["name"], feed_url=m["feed_url"], home_url=m["home_url"] or "",
                      org=m["org"], kind=m["kind"], lang=m["lang"], aws=bool(m["aws"]),
                      reputation=float(m["reputation"]), enabled=bool(m["enabled"]),
                      discovery=dict(m["discovery"] or {}))

    def get_source(self, key: str) -> Source | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sources_t).where(sources_t.c.key == key)).first()
        return self._source(row) if row else None

    def get_sources(self, keys: list[str]) -> list[Source]:
        """The sources of ``keys`` that exist, in the order of ``keys`` (a query per 500 keys)."""
        by_key: dict[str, Source] = {}
        stmt = self._statement("sources_by_key", lambda: sa.select(sources_t).where(
            sources_t.c.key.in_(sa.bindparam("keys", expanding=True))))
        with self.engine.connect() as conn:
            for chunk in chunks(keys):
                by_key.update((r.key, self._source(r)) for r in conn.execute(stmt, {"keys": chunk}))
        return [by_key[k] for k in keys if k in by_key]

    def list_sources(self, enabled_only: bool = False) -> list[Source]:
        q = sa.select(sources_t).order_by(sources_t.c.key)
        if enabled_only:
            q = q.where(sources_t.c.enabled.is_(True))
        with self.engine.connect() as conn:
            return [self._source(r) for r in conn.execute(q)]

    def remove_source(self, key: str) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(sources_t.delete().where(sources_t.c.key == key)).rowcount > 0

    def set_source_status(self, key: str, status: str, error: str | None = None) -> None:
        """Record the outcome of a run for a source; failures count up, success resets."""
        with self.engine.begin() as conn:
            values: dict[str, Any] = {"status": status, "last_error": error, "last_run_at": utcnow()}
            if status == "ok":
                values["fail_count"] = 0
            elif status in ("error", "gone"):
                values["fail_count"] = sources_t.c.fail_count + 1
            conn.execute(sources_t.update().where(sources_t.c.key == key).values(**values))

    def source_status(self, key: str) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sources_t.c.status, sources_t.c.last_error, sources_t.c.fail_count,
                                         sources_t.c.last_run_at).where(sources_t.c.key == key)).first()
        if not row:
            return {}
        d = dict(row._mapping)
        d["last_run_at"] = _aware(d["last_run_at"])
        return d

    # -- validators ---------------------------------------------------------------------------
    def get_validators(self, url: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(validators_t).where(validators_t.c.url == url)).first()
        if not row:
            return None
        d = dict(row._mapping)
        d["fetched_at"] = _aware(d["fetched_at"])
        return d

    def put_validators(self, url: str, etag: str | None, last_modified: str | None, status: int | None,
                       content_hash: str | None) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, validators_t, {"url": url, "etag": etag, "last_modified": last_modified,
                                              "status": status, "content_hash": content_hash,
                                              "fetched_at": utcnow()}, ["url"])
