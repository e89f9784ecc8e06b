"""A JSON cache with ages (popularity lookups, LLM answers) and named documents."""

from __future__ import annotations

import json
from typing import Any, Callable

import sqlalchemy as sa

from .schema import _aware, cache_t, documents_t, utcnow


class CacheRows:
    # -- cache and documents ------------------------------------------------------------------
    def cache_get(self, namespace: str, key: str, max_age_s: float | None = None) -> Any | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(cache_t.c.value, cache_t.c.at).where(
                (cache_t.c.namespace == namespace) & (cache_t.c.key == key))).first()
        if not row:
            return None
        if max_age_s is not None and (utcnow() - _aware(row[1])).total_seconds() > max_age_s:
            return None
        return row[0]

    def cache_put(self, namespace: str, key: str, value: Any) -> None:
        json.dumps(value)  # fail here, with the caller in the traceback, if it is not JSON
        with self.engine.begin() as conn:
            self._upsert(conn, cache_t, {"namespace": namespace, "key": key, "value": value, "at": utcnow()},
                         ["namespace", "key"])

    def get_document(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(documents_t.c.content).where(documents_t.c.name == name)).scalar()

    def put_document(self, name: str, text: str) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, documents_t, {"name": name, "content": text, "updated_at": utcnow()}, ["name"])

    def document_once(self, name: str, make: Callable[[], str]) -> str:
        """The document ``name``, created from ``make()`` if there is none: the first writer wins and
        every caller, in any process, gets the same text."""
        text = self.get_document(name)
        if text is not None:
            return text
        with self.engine.begin() as conn:
            self._insert_absent(conn, documents_t, {"name": name, "content": make(), "updated_at": utcnow()},
                                ["name"])
        return self.get_document(name)
