"""The schema and the connection layer: tables, versioned migrations, engine setup.

Every table of the store is declared here, once, so migrations see the whole schema; the modules beside
this one hold the reads and writes of one concern each, over the connection this layer opens.
"""

from __future__ import annotations

import time
import zlib
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import sqlalchemy as sa
from sqlalchemy import event

from ..errors import StoreError


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
    C("discovery", sa.JSON),      # how past posts are found (discovery.py); NULL = the defaults
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
    C("content_hash", sa.String(64)),   # of what the curation stages read (see posts.content_hash)
    C("created_at", sa.DateTime(timezone=True)),
    C("updated_at", sa.DateTime(timezone=True)),
)


def _produced(name: str, *cols: sa.Column) -> sa.Table:
    return T(
        name, metadata,
        C("post_id", sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
        *cols,
        C("produced_by", sa.Text, nullable=False),
        # hash of the inputs (the post's content, the model's training data) it was produced from:
        # a re-run recomputes the record only when this changes
        C("input_hash", sa.String(64)),
        C("produced_at", sa.DateTime(timezone=True), nullable=False),
    )


enrichments_t = _produced("enrichments", C("data", sa.JSON, nullable=False),
                          C("signature", sa.JSON))   # what near-duplicates are matched on
#: the figure candidates extraction found on the post's page, best first (see figures.py)
figures_t = _produced("figures", C("candidates", sa.JSON, nullable=False))
classifications_t = _produced(
    "classifications",
    C("in_scope", sa.Boolean, nullable=False), C("in_scope_conf", sa.Float, nullable=False),
    C("track", sa.String(32), nullable=False), C("track_conf", sa.Float, nullable=False),
    C("area", sa.String(64), nullable=False), C("area_conf", sa.Float, nullable=False),
    C("version", sa.Integer, nullable=False, default=1, server_default="1"),
)
scores_t = _produced(
    "scores",
    C("total", sa.Float, nullable=False), C("breakdown", sa.JSON, nullable=False),
    C("reasons", sa.JSON, nullable=False),
)
summaries_t = _produced(
    "summaries",
    C("bullets", sa.JSON, nullable=False), C("lang", sa.String(16), nullable=False),
    C("version", sa.Integer, nullable=False, default=1, server_default="1"),
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
    # every write adds one: the machine writes only over the version it read (compare-and-set)
    C("version", sa.Integer, nullable=False, default=1, server_default="1"),
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


run_lock_t = T(
    "run_lock", metadata,
    C("name", sa.String(64), primary_key=True),       # one row per store: "run"
    C("holder", sa.Text, nullable=False),             # user@host pid N, for the message to the next run
    C("host", sa.Text, nullable=False),
    C("pid", sa.Integer, nullable=False),
    C("token", sa.String(64), nullable=False),        # this holder's lease, for renewal and release
    C("since", sa.DateTime(timezone=True), nullable=False),
    C("expires_at", sa.DateTime(timezone=True), nullable=False),
)


# -- watching (store/watch.py) -----------------------------------------------------------------------
watch_t = T(
    "watch_state", metadata,
    C("source_key", sa.String(128), primary_key=True),
    C("next_poll_at", sa.DateTime(timezone=True), index=True),
    C("claimed_until", sa.DateTime(timezone=True)),     # a queued poll owns the source until then
    C("last_poll_at", sa.DateTime(timezone=True)),
    C("last_ok_at", sa.DateTime(timezone=True)),
    C("last_new_post_at", sa.DateTime(timezone=True)),
    C("interval_s", sa.Float),
    C("reason", sa.Text),
    C("last_outcome", sa.String(32)),                   # ok | not_modified | error
    C("last_error", sa.Text),
    C("failures", sa.Integer, nullable=False, default=0),
    C("polls", sa.Integer, nullable=False, default=0),
    C("not_modified", sa.Integer, nullable=False, default=0),
    C("posts_found", sa.Integer, nullable=False, default=0),
    C("feed_entries", sa.Integer),
    C("feed_oldest", sa.DateTime(timezone=True)),
    C("feed_newest", sa.DateTime(timezone=True)),
    C("fill_s", sa.Float),                              # seconds the feed takes to fill at its rate
    C("problems", sa.JSON),                             # [{"at", "what"}], newest first
)

coverage_t = T(
    "coverage", metadata,
    C("id", sa.Integer, primary_key=True, autoincrement=True),
    C("source_key", sa.String(128), nullable=False, index=True),
    C("start_at", sa.DateTime(timezone=True), nullable=False),
    C("end_at", sa.DateTime(timezone=True), nullable=False),
    C("method", sa.String(64), nullable=False),         # feed | backfill | feed+backfill
)

host_slots_t = T(
    "host_slots", metadata,                             # PostgreSQL only: politeness across workers
    C("host", sa.String(255), primary_key=True),
    C("next_start", sa.DateTime(timezone=True), nullable=False),
)

host_leases_t = T(
    "host_leases", metadata,                            # PostgreSQL only: request slots across workers
    C("host", sa.String(255), primary_key=True),
    C("slot", sa.Integer, primary_key=True, autoincrement=False),
    C("holder", sa.Text, nullable=False),
    C("expires_at", sa.DateTime(timezone=True), nullable=False),
)


def _migration_1(conn: sa.Connection) -> None:
    metadata.create_all(conn)


def _migration_2(conn: sa.Connection) -> None:
    """Row versions on what a person can edit (entries, summaries, classifications); the run lock."""
    columns = {t: {c["name"] for c in sa.inspect(conn).get_columns(t)}
               for t in ("entries", "summaries", "classifications")}
    for table, have in columns.items():
        if "version" not in have:
            conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN version INTEGER NOT NULL DEFAULT 1"))
    run_lock_t.create(conn, checkfirst=True)


def _migration_figures(conn: sa.Connection) -> None:
    figures_t.create(conn, checkfirst=True)


def _migration_watch(conn: sa.Connection) -> None:
    """Watching: schedule, coverage, host slots; sources.discovery (create_all on a new store has them)."""
    for table in (watch_t, coverage_t, host_slots_t):
        table.create(conn, checkfirst=True)
    if "discovery" not in {c["name"] for c in sa.inspect(conn).get_columns("sources")}:
        conn.execute(sa.text("ALTER TABLE sources ADD COLUMN discovery JSON"))


def _migration_incremental(conn: sa.Connection) -> None:
    """Content and input hashes for incremental runs, duplicate signatures (a store made by
    migration 1 of this version has them already)."""
    inspector = sa.inspect(conn)
    wanted = [("posts", "content_hash", "VARCHAR(64)"), ("enrichments", "signature", "JSON"),
              *((t, "input_hash", "VARCHAR(64)") for t in ("enrichments", "classifications", "scores",
                                                            "summaries", "figures"))]
    for table, column, sql_type in wanted:
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))


def _migration_lz4(conn: sa.Connection) -> None:
    """PostgreSQL: a post's text and HTML compressed with lz4, not pglz (the default). Storing a post
    is the store's most frequent large write (one per queue job); pglz spent ~4 ms of the server's CPU
    on a 100 KB page, lz4 about a quarter of that, for slightly larger rows. A server built without
    lz4 (or older than 14) keeps pglz."""
    if conn.dialect.name != "postgresql":
        return
    try:
        with conn.begin_nested():
            conn.execute(sa.text("ALTER TABLE posts ALTER COLUMN text SET COMPRESSION lz4, "
                                 "ALTER COLUMN html SET COMPRESSION lz4"))
    except sa.exc.DBAPIError:
        pass


def _migration_host_leases(conn: sa.Connection) -> None:
    """Request slots per host held as leases that outlive a killed worker (were session locks). On
    PostgreSQL both politeness tables are unlogged: rows live seconds and are written twice per request,
    and a logged write makes each of those commits wait for a flush to disk; after a server crash they
    are emptied, which only forgets the leases of requests that crash ended."""
    host_leases_t.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ALTER TABLE host_slots SET UNLOGGED"))
        conn.execute(sa.text("ALTER TABLE host_leases SET UNLOGGED"))


#: versioned migrations, applied in order; each runs in one transaction with the version bump
MIGRATIONS: list[Callable[[sa.Connection], None]] = [_migration_1, _migration_2, _migration_figures,
                                                       _migration_watch, _migration_incremental,
                                                       _migration_lz4, _migration_host_leases]
SCHEMA_VERSION = len(MIGRATIONS)


def _aware(dt: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes: everything is stored in UTC, so mark it so
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt



#: values per ``IN (...)`` query: well under SQLite's bound-parameter limit
VALUES_PER_QUERY = 500


def chunks(values: list) -> Iterator[list]:
    """``values`` in lists of at most ``VALUES_PER_QUERY``, one ``IN (...)`` query each."""
    for i in range(0, len(values), VALUES_PER_QUERY):
        yield values[i:i + VALUES_PER_QUERY]


class StoreBase:
    """The connection layer: one engine, migrations, and the dialect-aware upsert every concern uses."""

    def __init__(self, url: str):
        self.url = url
        self.tables = metadata.tables
        self._statements: dict[str, Any] = {}
        try:
            if url.startswith("sqlite"):
                path = url.split("///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.engine = sa.create_engine(url, connect_args={"timeout": 30})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = sa.create_engine(url)
                _ping_when_idle(self.engine)
            self._migrate()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise StoreError(f"cannot open store: {exc.__class__.__name__}: {exc}", url=url) from exc

    @classmethod
    def memory_file(cls, directory: str | Path) -> "StoreBase":
        """A fresh SQLite store in ``directory`` (for tests and throwaway runs)."""
        return cls(f"sqlite:///{Path(directory) / 'blogsift.db'}")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "StoreBase":
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

    def _statement(self, name: str, build: Callable[[], Any]) -> Any:
        """The statement ``name``, built once per store: the hot paths (a queue worker stores a post per
        job) would otherwise spend more CPU building and keying a statement than the database spends
        running it."""
        stmt = self._statements.get(name)
        if stmt is None:
            stmt = self._statements[name] = build()
        return stmt

    def _insert(self, table: sa.Table, values: dict) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table).values(**values)

    def _upsert(self, conn: sa.Connection, table: sa.Table, values: dict, keys: list[str]) -> None:
        stmt = self._insert(table, values)
        update = {k: stmt.excluded[k] for k in values if k not in keys}
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_=update) if update else \
            stmt.on_conflict_do_nothing(index_elements=keys)
        conn.execute(stmt)

    def _insert_absent(self, conn: sa.Connection, table: sa.Table, values: dict, keys: list[str]) -> None:
        """Insert the row unless one with the same ``keys`` exists (then nothing changes)."""
        conn.execute(self._insert(table, values).on_conflict_do_nothing(index_elements=keys))

    @contextmanager
    def _serialized(self, *keys: str) -> Iterator[sa.Connection]:
        """A transaction that reads and then writes the rows of ``keys`` with no other writer of them in
        between: on SQLite the write lock is taken first (``BEGIN IMMEDIATE``: a deferred transaction
        that reads, then writes after another writer, fails instead of waiting); on PostgreSQL a
        transaction-scoped advisory lock per key, taken in one order so that two batches cannot
        deadlock. Commits at the end, rolls back on an exception."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                for k in sorted({zlib.crc32(key.encode("utf-8")) for key in keys}):
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": k})
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    # produced records: one row per post, saying what produced it and when
    def _put_produced(self, table: sa.Table, post_id: int, values: dict, produced_by: str,
                      input_hash: str | None = None) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, table, {"post_id": post_id, **values, "produced_by": produced_by,
                                       "input_hash": input_hash, "produced_at": utcnow()}, ["post_id"])

    def _put_versioned(self, table: sa.Table, post_id: int, values: dict, produced_by: str,
                       expect_version: int | None) -> bool:
        """A produced record a person can also write (``produced_by`` "person…"): a person's row is
        never replaced by a machine's, and the machine writes only over ``expect_version`` (the
        version it read; 0: there was none) when given. False: not written."""
        with self._serialized(f"{table.name}:{post_id}") as conn:
            return self._write_versioned(conn, table, post_id, values, produced_by, expect_version)

    def _put_versioned_many(self, table: sa.Table, rows: list[tuple[int, dict, str]]) -> list[int]:
        """Machine records of many posts, (post id, values, produced_by), in one transaction, each by
        the rules of :meth:`_put_versioned` (a person's row stays). Returns the ids written."""
        if not rows:
            return []
        with self._serialized(*(f"{table.name}:{post_id}" for post_id, _, _ in rows)) as conn:
            return [post_id for post_id, values, produced_by in rows
                    if self._write_versioned(conn, table, post_id, values, produced_by, None)]

    @staticmethod
    def _write_versioned(conn: sa.Connection, table: sa.Table, post_id: int, values: dict, produced_by: str,
                         expect_version: int | None) -> bool:
        values = {**values, "produced_by": produced_by, "produced_at": utcnow()}
        row = conn.execute(sa.select(table.c.produced_by, table.c.version)
                           .where(table.c.post_id == post_id)).first()
        if not produced_by.startswith("person"):
            if row and row[0].startswith("person"):
                return False
            if expect_version is not None and (row[1] if row else 0) != expect_version:
                return False
        if row is None:
            conn.execute(table.insert().values(post_id=post_id, version=1, **values))
        else:
            conn.execute(table.update().where(table.c.post_id == post_id)
                         .values(version=table.c.version + 1, **values))
        return True

    def _get_produced(self, table: sa.Table, post_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.post_id == post_id)).first()
        return dict(row._mapping) if row else None


#: seconds a pooled PostgreSQL connection may sit unused and still be used without a check first (the
#: store's engine, and the queue's and host gate's pools in ``hostlease.idle_checked_pool``)
IDLE_CHECK_AFTER_S = 2.0


def _ping_when_idle(engine: sa.Engine) -> None:
    """Check a pooled connection before use only when it sat unused for ``IDLE_CHECK_AFTER_S`` (a server
    restarted meanwhile has closed it; it is then replaced unseen). SQLAlchemy's ``pool_pre_ping``
    checks at every checkout: a round trip per store call, and a queue worker makes several a job."""

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_conn: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned_at", 0.0) <= IDLE_CHECK_AFTER_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            # the pool discards this connection and checks out (or opens) another
            raise sa.exc.DisconnectionError(str(exc)) from exc


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")      # readers (review app) never block the pipeline
    cur.execute("PRAGMA synchronous=NORMAL")    # WAL + NORMAL is durable across process crashes
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
