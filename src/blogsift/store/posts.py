"""Posts and what the pipeline produced from them (enrichment, classification, score).

Each post carries the hash of what the curation stages read (``content_hash``), each produced record
the hash of the inputs it was made from (``input_hash``: the content plus the model's version), so a
re-run finds the few records to remake with one query instead of remaking them all. Reads for whole
periods come in two weights: outlines (no text) for everything, full posts by id in batches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..models import Classification, Enrichment, Post, Score, SeriesInfo
from .figures import FIGURES_PRODUCER
from .schema import _aware, chunks, classifications_t, enrichments_t, figures_t, posts_t, scores_t, utcnow

#: what made the enrichments (bump when enrich.py changes what it finds)
ENRICHMENT_MODEL = "enrich:v1"


def content_hash(post: Post) -> str:
    """Hash of everything the curation stages read from a post (not its HTML, not fetch details)."""
    fields = [post.url, post.source_key, post.title, post.lang, post.text, list(post.links), list(post.images),
              post.published.isoformat() if post.published else None]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass
class PostState:
    """A post's outline and the input hashes of its produced records (None: not produced yet)."""

    id: int
    url: str
    source_key: str
    lang: str
    published: datetime | None
    content_hash: str | None
    enrichment_hash: str | None
    classification_hash: str | None
    score_hash: str | None
    classification_by: str | None = None


def _enrichment(data: dict) -> Enrichment:
    data = dict(data)
    series = data.pop("series", None)
    return Enrichment(**data, series=SeriesInfo(**series) if series else None)


def _classification(m: Any, model: str) -> Classification:
    return Classification(in_scope=bool(m["in_scope"]), in_scope_conf=m["in_scope_conf"], track=m["track"],
                          track_conf=m["track_conf"], area=m["area"], area_conf=m["area_conf"], model=model,
                          version=int(m["version"]))


def _period(q: sa.Select, since: datetime | None, until: datetime | None) -> sa.Select:
    if since is not None:
        q = q.where(posts_t.c.published >= since)
    if until is not None:
        q = q.where(posts_t.c.published < until)
    return q


class PostRows:
    # -- posts --------------------------------------------------------------------------------
    def upsert_post(self, post: Post) -> int:
        now = utcnow()
        values = {
            "url": post.url, "source_key": post.source_key, "guid": post.guid, "title": post.title,
            "published": post.published, "author": post.author, "lang": post.lang, "text": post.text,
            "html": post.html, "images": list(post.images), "links": list(post.links),
            "extraction": post.extraction, "extraction_note": post.extraction_note, "updated_at": now,
            "content_hash": content_hash(post),
        }
        # one atomic upsert on the URL: a run and a watch worker storing the same new post never both
        # insert it, and the post costs one statement (a queue worker stores one per job)
        with self.engine.begin() as conn:
            post.id = conn.execute(self._statement("post_upsert", self._post_upsert),
                                   {**values, "created_at": now}).scalar_one()
            if post.figures:   # in the same transaction: a post is never stored without what its page showed
                conn.execute(self._statement("figures_upsert", self._figures_upsert),
                             {"post_id": post.id, "candidates": list(post.figures),
                              "produced_by": FIGURES_PRODUCER, "produced_at": now})
        return int(post.id)

    def _post_upsert(self) -> sa.Insert:
        """INSERT … ON CONFLICT (url) DO UPDATE … RETURNING id."""
        stmt = self._insert(posts_t, {})
        updated = [c.name for c in posts_t.columns if c.name not in ("id", "url", "created_at")]
        return stmt.on_conflict_do_update(index_elements=["url"], set_={k: stmt.excluded[k] for k in updated}) \
            .returning(posts_t.c.id)

    def _figures_upsert(self) -> sa.Insert:
        stmt = self._insert(figures_t, {})
        return stmt.on_conflict_do_update(index_elements=["post_id"], set_={
            k: stmt.excluded[k] for k in ("candidates", "produced_by", "produced_at")})

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

    def existing_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of ``urls`` are stored posts (one query per few hundred URLs)."""
        urls = list(dict.fromkeys(urls))
        found: set[str] = set()
        stmt = self._statement("existing_urls", lambda: sa.select(posts_t.c.url).where(
            posts_t.c.url.in_(sa.bindparam("urls", expanding=True))))
        with self.engine.connect() as conn:
            for chunk in chunks(urls):
                found.update(r[0] for r in conn.execute(stmt, {"urls": chunk}))
        return found

    def published_dates(self, urls: Iterable[str]) -> dict[str, datetime]:
        """The publication dates of those of ``urls`` that are stored posts with a date."""
        urls = list(dict.fromkeys(urls))
        stmt = self._statement("published_dates", lambda: sa.select(posts_t.c.url, posts_t.c.published).where(
            posts_t.c.url.in_(sa.bindparam("urls", expanding=True)), posts_t.c.published.is_not(None)))
        dates: dict[str, datetime] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(urls):
                dates.update((r.url, _aware(r.published)) for r in conn.execute(stmt, {"urls": chunk}))
        return dates

    def posts_by_ids(self, ids: list[int]) -> list[Post]:
        """Full posts, in the order of ``ids``."""
        by_id: dict[int, Post] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(ids):
                for r in conn.execute(sa.select(posts_t).where(posts_t.c.id.in_(chunk))):
                    by_id[r.id] = self._post(r)
        return [by_id[i] for i in ids if i in by_id]

    def post_outlines(self, source_keys: Iterable[str]) -> list[Post]:
        """The posts of these sources without their text, HTML, links or images (series detection)."""
        cols = (posts_t.c.id, posts_t.c.url, posts_t.c.title, posts_t.c.source_key, posts_t.c.published,
                posts_t.c.lang)
        keys = list(set(source_keys))
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*cols).where(posts_t.c.source_key.in_(keys))) if keys else []
            return [Post(url=r.url, title=r.title, source_key=r.source_key, published=_aware(r.published),
                         lang=r.lang, id=r.id) for r in rows]

    def post_states(self, since: datetime | None = None, until: datetime | None = None) -> list[PostState]:
        """Every post of the period (dated ones only when a bound is given) with its records' input hashes."""
        q = sa.select(posts_t.c.id, posts_t.c.url, posts_t.c.source_key, posts_t.c.lang, posts_t.c.published,
                      posts_t.c.content_hash, enrichments_t.c.input_hash.label("e"),
                      classifications_t.c.input_hash.label("c"), scores_t.c.input_hash.label("s"),
                      classifications_t.c.produced_by.label("cby")) \
            .select_from(posts_t.outerjoin(enrichments_t, enrichments_t.c.post_id == posts_t.c.id)
                         .outerjoin(classifications_t, classifications_t.c.post_id == posts_t.c.id)
                         .outerjoin(scores_t, scores_t.c.post_id == posts_t.c.id)) \
            .order_by(posts_t.c.published.desc(), posts_t.c.id)
        with self.engine.connect() as conn:
            return [PostState(r.id, r.url, r.source_key, r.lang, _aware(r.published), r.content_hash, r.e, r.c, r.s,
                              r.cby) for r in conn.execute(_period(q, since, until))]

    def duplicate_signatures(self, since: datetime | None = None, until: datetime | None = None
                             ) -> list[tuple[Post, Enrichment, list[str]]]:
        """(outline, enrichment, signature) of every enriched post of the period."""
        q = sa.select(posts_t.c.id, posts_t.c.url, posts_t.c.title, posts_t.c.source_key, posts_t.c.lang,
                      posts_t.c.published, enrichments_t.c.data, enrichments_t.c.signature) \
            .select_from(posts_t.join(enrichments_t, enrichments_t.c.post_id == posts_t.c.id))
        with self.engine.connect() as conn:
            return [(Post(url=r.url, title=r.title, source_key=r.source_key, lang=r.lang,
                          published=_aware(r.published), id=r.id), _enrichment(r.data), list(r.signature or []))
                    for r in conn.execute(_period(q, since, until))]

    def candidates(self, since: datetime | None = None, until: datetime | None = None
                   ) -> Iterator[tuple[Post, Classification, Score, Enrichment | None]]:
        """Outlines of the period's classified and scored posts with their records, for selection."""
        q = sa.select(posts_t.c.id, posts_t.c.url, posts_t.c.title, posts_t.c.source_key, posts_t.c.lang,
                      posts_t.c.published, classifications_t, scores_t.c.total, scores_t.c.produced_by.label("sm"),
                      enrichments_t.c.data) \
            .select_from(posts_t.join(classifications_t, classifications_t.c.post_id == posts_t.c.id)
                         .join(scores_t, scores_t.c.post_id == posts_t.c.id)
                         .outerjoin(enrichments_t, enrichments_t.c.post_id == posts_t.c.id))
        with self.engine.connect() as conn:
            for r in conn.execute(_period(q, since, until)):
                m = r._mapping
                post = Post(url=m["url"], title=m["title"], source_key=m["source_key"], lang=m["lang"],
                            published=_aware(m["published"]), id=m["id"])
                yield (post, _classification(m, m[classifications_t.c.produced_by]),
                       Score(total=m["total"], model=m["sm"]), _enrichment(m["data"]) if m["data"] else None)

    def put_results(self, enrichments: list[tuple[int, Enrichment, list[str], str]] = (),
                    scores: list[tuple[int, Score, str]] = ()) -> None:
        """Enrichments and scores of a batch of posts, in one transaction: (post id, record,
        [signature,] input hash). Classifications go through :meth:`put_classifications`: a person
        may have written one."""
        now = utcnow()
        with self.engine.begin() as conn:
            for post_id, e, signature, input_hash in enrichments:
                self._upsert(conn, enrichments_t, {"post_id": post_id, "data": asdict(e), "signature": signature,
                                                   "produced_by": ENRICHMENT_MODEL, "input_hash": input_hash,
                                                   "produced_at": now}, ["post_id"])
            for post_id, score, input_hash in scores:
                self._upsert(conn, scores_t, {"post_id": post_id, "total": score.total,
                                              "breakdown": score.breakdown, "reasons": score.reasons,
                                              "produced_by": score.model, "input_hash": input_hash,
                                              "produced_at": now}, ["post_id"])

    def update_enrichments(self, changed: list[tuple[int, Enrichment]]) -> None:
        """New data for enrichments whose inputs did not change (duplicate groups), in one transaction."""
        with self.engine.begin() as conn:
            for post_id, e in changed:
                conn.execute(enrichments_t.update().where(enrichments_t.c.post_id == post_id)
                             .values(data=asdict(e), produced_at=utcnow()))

    def count_posts(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(posts_t)).scalar_one())

    # -- produced records ---------------------------------------------------------------------
    def put_enrichment(self, post_id: int, enrichment: Enrichment, produced_by: str = "enrich:v1") -> None:
        # no input hash: a record written this way is remade by the next run that covers its post
        self._put_produced(enrichments_t, post_id, {"data": asdict(enrichment)}, produced_by)

    def get_enrichment(self, post_id: int) -> Enrichment | None:
        row = self._get_produced(enrichments_t, post_id)
        return _enrichment(row["data"]) if row else None

    def put_classification(self, post_id: int, c: Classification, *, expect_version: int | None = None,
                           input_hash: str | None = None) -> bool:
        """Store a classification. A person's (``model`` "person…") is never replaced by a machine's;
        with ``expect_version`` (the version read; 0: none) only over that version. False: not written.
        ``input_hash``: what the machine made it from (see :class:`PostState`)."""
        values = asdict(c)
        model, _read = values.pop("model"), values.pop("version")
        values["input_hash"] = input_hash
        return self._put_versioned(classifications_t, post_id, values, model, expect_version)

    def put_classifications(self, items: list[tuple[int, Classification, str | None]]) -> list[int]:
        """Machine classifications of a batch, (post id, classification, input hash), in one
        transaction; a person's classification stays. Returns the ids written."""
        rows = []
        for post_id, c, input_hash in items:
            values = asdict(c)
            model, _read = values.pop("model"), values.pop("version")
            rows.append((post_id, {**values, "input_hash": input_hash}, model))
        return self._put_versioned_many(classifications_t, rows)

    def get_classification(self, post_id: int) -> Classification | None:
        row = self._get_produced(classifications_t, post_id)
        return _classification(row, row["produced_by"]) if row else None

    def put_score(self, post_id: int, score: Score) -> None:
        self._put_produced(scores_t, post_id, {"total": score.total, "breakdown": score.breakdown,
                                               "reasons": score.reasons}, score.model)

    def get_score(self, post_id: int) -> Score | None:
        row = self._get_produced(scores_t, post_id)
        if not row:
            return None
        return Score(total=row["total"], breakdown=dict(row["breakdown"]), reasons=list(row["reasons"]),
                     model=row["produced_by"])
