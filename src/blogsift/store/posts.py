"""Posts and what the pipeline produced from them (enrichment, classification, score)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..models import Classification, Enrichment, Post, Score, SeriesInfo
from .figures import FIGURES_PRODUCER
from .schema import _aware, classifications_t, enrichments_t, figures_t, posts_t, scores_t, utcnow


class PostRows:
    # -- posts --------------------------------------------------------------------------------
    def upsert_post(self, post: Post) -> int:
        now = utcnow()
        values = {
            "url": post.url, "source_key": post.source_key, "guid": post.guid, "title": post.title,
            "published": post.published, "author": post.author, "lang": post.lang, "text": post.text,
            "html": post.html, "images": list(post.images), "links": list(post.links),
            "extraction": post.extraction, "extraction_note": post.extraction_note, "updated_at": now,
        }
        # serialized per URL: a run and a watch worker storing the same new post never both insert it
        with self._serialized(f"post:{post.url}") as conn:
            row = conn.execute(sa.select(posts_t.c.id).where(posts_t.c.url == post.url)).first()
            if row:
                conn.execute(posts_t.update().where(posts_t.c.id == row[0]).values(**values))
                post.id = row[0]
            else:
                post.id = conn.execute(posts_t.insert().values(**values, created_at=now)).inserted_primary_key[0]
            if post.figures:   # in the same transaction: a post is never stored without what its page showed
                self._upsert(conn, figures_t, {"post_id": post.id, "candidates": list(post.figures),
                                               "produced_by": FIGURES_PRODUCER, "produced_at": now}, ["post_id"])
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
    def put_enrichment(self, post_id: int, enrichment: Enrichment, produced_by: str = "enrich:v1") -> None:
        self._put_produced(enrichments_t, post_id, {"data": asdict(enrichment)}, produced_by)

    def get_enrichment(self, post_id: int) -> Enrichment | None:
        row = self._get_produced(enrichments_t, post_id)
        if not row:
            return None
        data = dict(row["data"])
        series = data.pop("series", None)
        return Enrichment(**data, series=SeriesInfo(**series) if series else None)

    def put_classification(self, post_id: int, c: Classification, *, expect_version: int | None = None) -> bool:
        """Store a classification. A person's (``model`` "person…") is never replaced by a machine's;
        with ``expect_version`` (the version read; 0: none) only over that version. False: not written."""
        values = asdict(c)
        model, _read = values.pop("model"), values.pop("version")
        return self._put_versioned(classifications_t, post_id, values, model, expect_version)

    def get_classification(self, post_id: int) -> Classification | None:
        row = self._get_produced(classifications_t, post_id)
        if not row:
            return None
        return Classification(in_scope=bool(row["in_scope"]), in_scope_conf=row["in_scope_conf"],
                              track=row["track"], track_conf=row["track_conf"], area=row["area"],
                              area_conf=row["area_conf"], model=row["produced_by"], version=int(row["version"]))

    def put_score(self, post_id: int, score: Score) -> None:
        self._put_produced(scores_t, post_id, {"total": score.total, "breakdown": score.breakdown,
                                               "reasons": score.reasons}, score.model)

    def get_score(self, post_id: int) -> Score | None:
        row = self._get_produced(scores_t, post_id)
        if not row:
            return None
        return Score(total=row["total"], breakdown=dict(row["breakdown"]), reasons=list(row["reasons"]),
                     model=row["produced_by"])
