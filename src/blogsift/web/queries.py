"""Read side of the review app: a period's candidates in one query, and full-text search.

The list is one SELECT joining posts, sources, classifications, scores, digest entries and each post's
newest move decision (no query per row). Search on SQLite uses an FTS5 table with the ``trigram``
tokenizer, so a Korean word matches inside a longer word (``추천`` in ``추천시스템``); the table lives
beside the store's tables and is brought up to date from ``posts`` before each search. On PostgreSQL
search falls back to ILIKE.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..models import AREAS, TRACKS
from ..pipeline import month_bounds
from ..store import Store

__all__ = [
    "ListFilter",
    "CandidateRow",
    "Listing",
    "STATUSES",
    "list_candidates",
    "latest_month",
    "months_with_posts",
    "ensure_search_index",
]

STATUSES = ("candidate", "accepted", "rejected")
#: FTS5 trigram matching needs at least three characters; shorter terms (e.g. a two-syllable Korean
#: word) are matched with LIKE instead
MIN_FTS_TERM_CHARS = 3
#: search terms beyond this are ignored: a search box is not a query language
MAX_SEARCH_TERMS = 8

FTS_TABLE = "posts_fts"
_fts_state = sa.Table(
    "posts_fts_state", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("n_posts", sa.Integer, nullable=False),
    sa.Column("max_updated", sa.DateTime(timezone=True)),
)
#: the FTS5 table as SQLAlchemy sees it (created with raw DDL: SQLAlchemy has no virtual tables)
_FTS = sa.table(FTS_TABLE, sa.column("rowid"), sa.column("title"), sa.column("text"))
_fts_lock = threading.Lock()   # one refresh at a time in this process (the app serves from a thread pool)


@dataclass
class ListFilter:
    month: str | None = None
    track: str | None = None
    area: str | None = None
    source: str | None = None
    status: str | None = None
    q: str | None = None


@dataclass
class CandidateRow:
    post_id: int
    url: str
    title: str
    source_key: str
    source_name: str
    published: datetime | None
    lang: str
    track: str | None            # where the post is filed now: entry, else a pending move, else the classifier
    area: str | None
    classified_track: str | None
    classified_area: str | None
    track_conf: float | None
    area_conf: float | None
    in_scope: bool | None
    in_scope_conf: float | None
    score: float | None
    reasons: list[str]
    breakdown: dict[str, float]
    status: str                  # candidate | accepted | rejected
    origin: str | None           # entry origin: machine | import | person
    title_md: str | None
    moved: bool                  # a person filed it somewhere else than the classifier
    person_accepted: bool = False  # a person (or an imported digest) accepted it, not only the machine


@dataclass
class Listing:
    month: str | None
    rows: list[CandidateRow]
    total_in_month: int
    sources: list[tuple[str, str, int]] = field(default_factory=list)   # (key, name, count) in the month
    status_counts: dict[str, int] = field(default_factory=dict)
    #: accepted entries by who put them in: {"person": n, "machine": m}
    accepted_by: dict[str, int] = field(default_factory=dict)


def _month_expr(store: Store, column: Any) -> Any:
    if store.dialect == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def latest_month(store: Store) -> str | None:
    """The newest month that has posts (``YYYY-MM``), or None for an empty store."""
    posts = store.tables["posts"]
    with store.engine.connect() as conn:
        newest = conn.execute(sa.select(sa.func.max(posts.c.published))).scalar()
    if newest is None:
        return None
    if isinstance(newest, str):  # defensive: a raw SQLite value
        newest = datetime.fromisoformat(newest)
    return newest.strftime("%Y-%m")


def months_with_posts(store: Store) -> list[str]:
    """Every month with posts, newest first."""
    posts = store.tables["posts"]
    month = _month_expr(store, posts.c.published).label("m")
    q = sa.select(month).where(posts.c.published.is_not(None)).group_by(month).order_by(month.desc())
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(q) if r[0]]


def list_candidates(store: Store, flt: ListFilter) -> Listing:
    """The posts of ``flt.month`` with everything the review list shows, best score first."""
    month = flt.month or latest_month(store)
    if month is None:
        return Listing(month=None, rows=[], total_in_month=0)
    start, end = month_bounds(month)
    t = store.tables
    p, src, c, s, e, d = t["posts"], t["sources"], t["classifications"], t["scores"], t["entries"], t["decisions"]
    newest_move = (sa.select(d.c.url, sa.func.max(d.c.id).label("id"))
                   .where(d.c.action == "move").group_by(d.c.url).subquery("newest_move"))
    mv = d.alias("mv")
    q = (
        sa.select(
            p.c.id, p.c.url, p.c.title, p.c.source_key, p.c.published, p.c.lang,
            src.c.name.label("source_name"),
            c.c.track.label("c_track"), c.c.area.label("c_area"), c.c.track_conf, c.c.area_conf,
            c.c.in_scope, c.c.in_scope_conf,
            s.c.total, s.c.reasons, s.c.breakdown,
            e.c.status.label("e_status"), e.c.track.label("e_track"), e.c.area.label("e_area"),
            e.c.origin, e.c.title_md,
            mv.c.payload.label("move_payload"),
            sa.exists().where(d.c.url == p.c.url, d.c.action == "accept").label("person_accept"),
        )
        .select_from(
            p.outerjoin(src, src.c.key == p.c.source_key)
            .outerjoin(c, c.c.post_id == p.c.id)
            .outerjoin(s, s.c.post_id == p.c.id)
            .outerjoin(e, e.c.url == p.c.url)
            .outerjoin(newest_move, newest_move.c.url == p.c.url)
            .outerjoin(mv, mv.c.id == newest_move.c.id)
        )
        .where(p.c.published >= start, p.c.published < end)
        .order_by(s.c.total.desc().nulls_last(), p.c.published.desc(), p.c.id)
    )
    search = _search_condition(store, flt.q)
    if search is not None:
        q = q.where(search)
    with store.engine.connect() as conn:
        all_rows = [_row(r._mapping) for r in conn.execute(q)]

    sources: dict[str, list] = {}
    counts = {k: 0 for k in STATUSES}
    accepted_by = {"person": 0, "machine": 0}
    for r in all_rows:
        sources.setdefault(r.source_key, [r.source_key, r.source_name, 0])[2] += 1
        counts[r.status] += 1
        if r.status == "accepted":
            accepted_by["person" if r.person_accepted else "machine"] += 1
    rows = [r for r in all_rows if _keep(r, flt)]
    return Listing(month=month, rows=rows, total_in_month=len(all_rows),
                   sources=sorted((tuple(v) for v in sources.values()), key=lambda v: v[1].lower()),
                   status_counts=counts, accepted_by=accepted_by)


def _keep(r: CandidateRow, flt: ListFilter) -> bool:
    return ((not flt.track or r.track == flt.track) and (not flt.area or r.area == flt.area)
            and (not flt.source or r.source_key == flt.source) and (not flt.status or r.status == flt.status))


def _row(m: Any) -> CandidateRow:
    published = m["published"]
    if published is not None and published.tzinfo is None:
        from datetime import UTC
        published = published.replace(tzinfo=UTC)
    move = m["move_payload"] or {}
    if m["e_status"] is not None:
        track, area = m["e_track"], m["e_area"]
    elif move.get("track") in TRACKS and move.get("area") in AREAS:
        track, area = move["track"], move["area"]
    else:
        track, area = m["c_track"], m["c_area"]
    return CandidateRow(
        post_id=m["id"], url=m["url"], title=m["title"], source_key=m["source_key"],
        source_name=m["source_name"] or m["source_key"], published=published, lang=m["lang"],
        track=track, area=area, classified_track=m["c_track"], classified_area=m["c_area"],
        track_conf=m["track_conf"], area_conf=m["area_conf"],
        in_scope=None if m["in_scope"] is None else bool(m["in_scope"]), in_scope_conf=m["in_scope_conf"],
        score=m["total"], reasons=list(m["reasons"] or []), breakdown=dict(m["breakdown"] or {}),
        status=m["e_status"] or "candidate", origin=m["origin"], title_md=m["title_md"],
        moved=m["c_track"] is not None and (track, area) != (m["c_track"], m["c_area"]),
        # a person's accept is a decision; an entry the machine selected has none (imports record one)
        person_accepted=bool(m["person_accept"]) or m["origin"] == "import",
    )


# -- search ----------------------------------------------------------------------------------------

def _terms(q: str | None) -> list[str]:
    return [t for t in (q or "").split() if t][:MAX_SEARCH_TERMS]


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _search_condition(store: Store, q: str | None) -> Any:
    """A WHERE clause on posts matching every term of ``q`` in the title or text (None: no search)."""
    terms = _terms(q)
    if not terms:
        return None
    p = store.tables["posts"]
    clauses = []
    if store.dialect == "sqlite":
        ensure_search_index(store)
        long_terms = [t for t in terms if len(t) >= MIN_FTS_TERM_CHARS]
        if long_terms:
            # each term a quoted FTS5 string: the user's text is never read as FTS query syntax
            match = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
            clauses.append(p.c.id.in_(sa.select(_FTS.c.rowid).where(
                sa.text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=match))))
        for t in (t for t in terms if len(t) < MIN_FTS_TERM_CHARS):
            pat = _like_pattern(t)
            clauses.append(sa.or_(p.c.title.like(pat, escape="\\"), p.c.text.like(pat, escape="\\")))
    else:
        for t in terms:
            pat = _like_pattern(t)
            clauses.append(sa.or_(p.c.title.ilike(pat, escape="\\"), p.c.text.ilike(pat, escape="\\")))
    return sa.and_(*clauses)


def ensure_search_index(store: Store) -> None:
    """Create the FTS5 table if missing and bring it up to date with ``posts`` (SQLite only).

    Posts changed since the last refresh (by ``updated_at``) are re-indexed; if posts were deleted, or
    the index does not hold one row per post, it is rebuilt whole.
    """
    if store.dialect != "sqlite":
        return
    posts = store.tables["posts"]
    with _fts_lock, store.engine.begin() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM sqlite_master WHERE type='table' AND name=:n"),
                              {"n": FTS_TABLE}).first() is not None
        if not exists:
            conn.execute(sa.text(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, text, tokenize='trigram')"))
        _fts_state.create(conn, checkfirst=True)
        n_posts, max_updated = conn.execute(sa.select(sa.func.count(), sa.func.max(posts.c.updated_at))).one()
        state = conn.execute(sa.select(_fts_state).where(_fts_state.c.id == 1)).first()
        if exists and state is not None and state.n_posts == n_posts and state.max_updated == max_updated:
            return  # nothing changed since the last refresh
        if not exists or state is None or n_posts < state.n_posts:
            _rebuild(conn, posts)
        else:
            changed = sa.select(posts.c.id).where(posts.c.updated_at >= state.max_updated) \
                if state.max_updated is not None else sa.select(posts.c.id)
            conn.execute(sa.delete(_FTS).where(_FTS.c.rowid.in_(changed)))
            _insert(conn, posts, posts.c.id.in_(changed))
            indexed = conn.execute(sa.text(f"SELECT count(*) FROM {FTS_TABLE}")).scalar_one()
            if indexed != n_posts:
                _rebuild(conn, posts)
        conn.execute(_fts_state.delete())
        conn.execute(_fts_state.insert().values(id=1, n_posts=n_posts, max_updated=max_updated))


def _rebuild(conn: sa.Connection, posts: sa.Table) -> None:
    conn.execute(sa.delete(_FTS))
    _insert(conn, posts, None)


def _insert(conn: sa.Connection, posts: sa.Table, where: Any) -> None:
    select = sa.select(posts.c.id, posts.c.title, posts.c.text)
    if where is not None:
        select = select.where(where)
    conn.execute(sa.insert(_FTS).from_select(["rowid", "title", "text"], select))
