"""The store: every piece of state blogsift keeps, behind one data-access layer.

SQLite (one file, WAL) by default, PostgreSQL for a team server: the same SQLAlchemy Core schema and
code for both. Every write commits its own transaction, so a run killed at any point leaves a
consistent store and the next run resumes from what was committed.

Nothing is silently overwritten: a person's summary is never replaced by a machine's (``put_summary``
refuses), decisions are append-only, and each produced record says what produced it and when.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy import event

from .errors import StoreError
from .models import Classification, Decision, Enrichment, Post, Score, SeriesInfo, Source, Summary

__all__ = ["Store", "SCHEMA_VERSION", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


metadata = sa.MetaData()

T = sa.Table
C = sa.Column

meta_t = T("meta", metadata, C("key", sa.String(64), primary_key=True), C("value", sa.Text))

sources_t = T(
    "sources", metadata,
    C("key", sa.String(128), primary_key=True),
    C("name", sa.Text, nullable=False),
    C("feed_url", sa.Text, nullable=False),
    C("home_url", sa.Text, nullable=False, default=""),
    C("org", sa.Text),
    C("kind", sa.String(32), nullable=False),
    C("lang", sa.String(16), nullable=False),
    C("aws", sa.Boolean, nullable=False, default=False),
    C("reputation", sa.Float, nullable=False, default=0.5),
    C("enabled", sa.Boolean, nullable=False, default=True),
    C("status", sa.String(32), nullable=False, default="new"),   # new | ok | error | gone | paused
    C("last_error", sa.Text),
    C("fail_count", sa.Integer, nullable=False, default=0),
    C("last_run_at", sa.DateTime(timezone=True)),
    C("added_at", sa.DateTime(timezone=True)),
)

validators_t = T(
    "http_validators", metadata,
    C("url", sa.Text, primary_key=True),
    C("etag", sa.Text),
    C("last_modified", sa.Text),
    C("status", sa.Integer),
    C("content_hash", sa.String(64)),
    C("fetched_at", sa.DateTime(timezone=True)),
)

posts_t = T(
    "posts", metadata,
    C("id", sa.Integer, primary_key=True, autoincrement=True),
    C("url", sa.Text, nullable=False, unique=True),
    C("source_key", sa.String(128), nullable=False, index=True),
    C("guid", sa.Text),
    C("title", sa.Text, nullable=False),
    C("published", sa.DateTime(timezone=True), index=True),
    C("author", sa.Text),
    C("lang", sa.String(16), nullable=False),
    C("text", sa.Text, nullable=False, default=""),
    C("html", sa.Text, nullable=False, default=""),
    C("images", sa.JSON, nullable=False),
    C("links", sa.JSON, nullable=False),
    C("extraction", sa.String(32), nullable=False),
    C("extraction_note", sa.Text, nullable=False, default=""),
    C("created_at", sa.DateTime(timezone=True)),
    C("updated_at", sa.DateTime(timezone=True)),
)


def _produced(name: str, *cols: sa.Column) -> sa.Table:
    return T(
        name, metadata,
        C("post_id", sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
        *cols,
        C("produced_by", sa.Text, nullable=False),
        C("produced_at", sa.DateTime(timezone=True), nullable=False),
    )


enrichments_t = _produced("enrichments", C("data", sa.JSON, nullable=False))
classifications_t = _produced(
    "classifications",
    C("in_scope", sa.Boolean, nullable=False), C("in_scope_conf", sa.Float, nullable=False),
    C("track", sa.String(32), nullable=False), C("track_conf", sa.Float, nullable=False),
    C("area", sa.String(64), nullable=False), C("area_conf", sa.Float, nullable=False),
)
scores_t = _produced(
    "scores",
    C("total", sa.Float, nullable=False), C("breakdown", sa.JSON, nullable=False),
    C("reasons", sa.JSON, nullable=False),
)
summaries_t = _produced(
    "summaries",
    C("bullets", sa.JSON, nullable=False), C("lang", sa.String(16), nullable=False),
)

decisions_t = T(
    "decisions", metadata,
    C("id", sa.Integer, primary_key=True, autoincrement=True),
    C("url", sa.Text, nullable=False, index=True),
    C("action", sa.String(32), nullable=False),
    C("author", sa.Text, nullable=False),
    C("payload", sa.JSON, nullable=False),
    C("at", sa.DateTime(timezone=True), nullable=False),
)

entries_t = T(
    "entries", metadata,
    C("id", sa.Integer, primary_key=True, autoincrement=True),
    C("url", sa.Text, nullable=False, unique=True),
    C("post_id", sa.Integer),
    C("track", sa.String(32), nullable=False),
    C("area", sa.String(64), nullable=False),
    C("month", sa.String(7), nullable=False),
    C("org", sa.Text),
    C("title_md", sa.Text, nullable=False),
    C("bullets", sa.JSON, nullable=False),
    C("images", sa.JSON, nullable=False),
    C("raw_md", sa.Text),
    C("seq", sa.Integer, nullable=False),
    C("origin", sa.String(16), nullable=False),
    C("status", sa.String(16), nullable=False),
    C("summary_author", sa.Text, nullable=False, default=""),
    C("extra", sa.JSON, nullable=False),
    C("updated_at", sa.DateTime(timezone=True)),
)

cache_t = T(
    "cache", metadata,
    C("namespace", sa.String(64), primary_key=True),
    C("key", sa.String(512), primary_key=True),
    C("value", sa.JSON),
    C("at", sa.DateTime(timezone=True), nullable=False),
)

documents_t = T(
    "documents", metadata,
    C("name", sa.String(256), primary_key=True),
    C("content", sa.Text, nullable=False),
    C("updated_at", sa.DateTime(timezone=True), nullable=False),
)

runs_t = T(
    "runs", metadata,
    C("id", sa.Integer, primary_key=True, autoincrement=True),
    C("started_at", sa.DateTime(timezone=True), nullable=False),
    C("finished_at", sa.DateTime(timezone=True)),
    C("status", sa.String(16), nullable=False),   # running | done | failed
    C("stats", sa.JSON, nullable=False),
)


def _migration_1(conn: sa.Connection) -> None:
    metadata.create_all(conn)


#: versioned migrations, applied in order; each runs in one transaction with the version bump
MIGRATIONS: list[Callable[[sa.Connection], None]] = [_migration_1]
SCHEMA_VERSION = len(MIGRATIONS)


def _aware(dt: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes: everything is stored in UTC, so mark it so
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


class Store:
    """All of blogsift's state. ``Store("sqlite:///path.db")`` or a PostgreSQL URL."""

    def __init__(self, url: str):
        self.url = url
        self.tables = metadata.tables
        try:
            if url.startswith("sqlite"):
                path = url.split("///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.engine = sa.create_engine(url, connect_args={"timeout": 30})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = sa.create_engine(url, pool_pre_ping=True)
            self._migrate()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise StoreError(f"cannot open store: {exc.__class__.__name__}: {exc}", url=url) from exc

    @classmethod
    def memory_file(cls, directory: str | Path) -> "Store":
        """A fresh SQLite store in ``directory`` (for tests and throwaway runs)."""
        return cls(f"sqlite:///{Path(directory) / 'blogsift.db'}")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            meta_t.create(conn, checkfirst=True)
            row = conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "schema_version")).first()
            version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(f"store schema v{version} is newer than this blogsift (v{SCHEMA_VERSION})",
                             url=self.url)
        for number in range(version + 1, SCHEMA_VERSION + 1):
            with self.engine.begin() as conn:
                MIGRATIONS[number - 1](conn)
                self._upsert(conn, meta_t, {"key": "schema_version", "value": str(number)}, ["key"])

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "schema_version")).scalar_one())

    def _upsert(self, conn: sa.Connection, table: sa.Table, values: dict, keys: list[str]) -> None:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(table).values(**values)
        update = {k: stmt.excluded[k] for k in values if k not in keys}
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_=update) if update else \
            stmt.on_conflict_do_nothing(index_elements=keys)
        conn.execute(stmt)

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
                      reputation=float(m["reputation"]), enabled=bool(m["enabled"]))

    def get_source(self, key: str) -> Source | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sources_t).where(sources_t.c.key == key)).first()
        return self._source(row) if row else None

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

    # -- posts --------------------------------------------------------------------------------
    def upsert_post(self, post: Post) -> int:
        now = utcnow()
        values = {
            "url": post.url, "source_key": post.source_key, "guid": post.guid, "title": post.title,
            "published": post.published, "author": post.author, "lang": post.lang, "text": post.text,
            "html": post.html, "images": list(post.images), "links": list(post.links),
            "extraction": post.extraction, "extraction_note": post.extraction_note, "updated_at": now,
        }
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(posts_t.c.id).where(posts_t.c.url == post.url)).first()
            if row:
                conn.execute(posts_t.update().where(posts_t.c.id == row[0]).values(**values))
                post.id = row[0]
            else:
                post.id = conn.execute(posts_t.insert().values(**values, created_at=now)).inserted_primary_key[0]
        return int(post.id)

    @staticmethod
    def _post(row: Any) -> Post:
        m = row._mapping
        return Post(url=m["url"], title=m["title"], source_key=m["source_key"], published=_aware(m["published"]),
                    author=m["author"], lang=m["lang"], text=m["text"], html=m["html"],
                    images=list(m["images"] or []), links=list(m["links"] or []), extraction=m["extraction"],
                    extraction_note=m["extraction_note"] or "", guid=m["guid"], id=m["id"])

    def get_post(self, url: str) -> Post | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(posts_t).where(posts_t.c.url == url)).first()
        return self._post(row) if row else None

    def get_post_by_id(self, post_id: int) -> Post | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(posts_t).where(posts_t.c.id == post_id)).first()
        return self._post(row) if row else None

    def post_exists(self, url: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(posts_t.c.id).where(posts_t.c.url == url)).first() is not None

    def list_posts(self, since: datetime | None = None, until: datetime | None = None,
                   source_key: str | None = None) -> list[Post]:
        q = sa.select(posts_t).order_by(posts_t.c.published.desc(), posts_t.c.id)
        if since is not None:
            q = q.where(posts_t.c.published >= since)
        if until is not None:
            q = q.where(posts_t.c.published < until)
        if source_key is not None:
            q = q.where(posts_t.c.source_key == source_key)
        with self.engine.connect() as conn:
            return [self._post(r) for r in conn.execute(q)]

    def count_posts(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(posts_t)).scalar_one())

    # -- produced records ---------------------------------------------------------------------
    def _put_produced(self, table: sa.Table, post_id: int, values: dict, produced_by: str) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, table, {"post_id": post_id, **values, "produced_by": produced_by,
                                       "produced_at": utcnow()}, ["post_id"])

    def _get_produced(self, table: sa.Table, post_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.post_id == post_id)).first()
        return dict(row._mapping) if row else None

    def put_enrichment(self, post_id: int, enrichment: Enrichment, produced_by: str = "enrich:v1") -> None:
        self._put_produced(enrichments_t, post_id, {"data": asdict(enrichment)}, produced_by)

    def get_enrichment(self, post_id: int) -> Enrichment | None:
        row = self._get_produced(enrichments_t, post_id)
        if not row:
            return None
        data = dict(row["data"])
        series = data.pop("series", None)
        return Enrichment(**data, series=SeriesInfo(**series) if series else None)

    def put_classification(self, post_id: int, c: Classification) -> None:
        values = asdict(c)
        model = values.pop("model")
        self._put_produced(classifications_t, post_id, values, model)

    def get_classification(self, post_id: int) -> Classification | None:
        row = self._get_produced(classifications_t, post_id)
        if not row:
            return None
        return Classification(in_scope=bool(row["in_scope"]), in_scope_conf=row["in_scope_conf"],
                              track=row["track"], track_conf=row["track_conf"], area=row["area"],
                              area_conf=row["area_conf"], model=row["produced_by"])

    def put_score(self, post_id: int, score: Score) -> None:
        self._put_produced(scores_t, post_id, {"total": score.total, "breakdown": score.breakdown,
                                               "reasons": score.reasons}, score.model)

    def get_score(self, post_id: int) -> Score | None:
        row = self._get_produced(scores_t, post_id)
        if not row:
            return None
        return Score(total=row["total"], breakdown=dict(row["breakdown"]), reasons=list(row["reasons"]),
                     model=row["produced_by"])

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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")      # readers (review app) never block the pipeline
    cur.execute("PRAGMA synchronous=NORMAL")    # WAL + NORMAL is durable across process crashes
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
