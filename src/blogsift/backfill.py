"""Backfill: store a source's posts of a past period that its feed no longer lists.

The URLs come from ``discovery.py`` (sitemaps, paged feed, archive pages), only those placed inside
the period; each is fetched, extracted and stored through the pipeline's ``ingest``, like a post
found in a feed (already stored posts are not fetched again). When a discovery method listed the
whole period, the period's coverage is recorded as complete; what could not be read or placed is
reported on the source.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .discovery import discover
from .enrich import canonical_url
from .errors import SourceError
from .models import Source

__all__ = ["BackfillResult", "backfill_source", "run_backfill"]


@dataclass
class BackfillResult:
    source: str
    since: datetime
    until: datetime
    found: int = 0                    # post URLs of the period discovered
    new_posts: int = 0                # of them, fetched and stored now
    complete: bool = False            # a method listed the whole period
    methods: list[str] = field(default_factory=list)    # the methods that work for this source
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def backfill_source(pipeline, fetcher, source: Source, since: datetime, until: datetime, *,
                          now: datetime, ingest: Any = None) -> BackfillResult:
    """Find and store ``source``'s posts of [since, until); record coverage and problems in the store.
    ``ingest``: how the found posts are stored (default: fetched here by the pipeline)."""
    from .pipeline import RunReport

    settings, store, db = pipeline.settings, pipeline.store, pipeline.in_store_thread
    result = BackfillResult(source.key, since, until)

    async def stored_dates(urls: list[str]) -> dict[str, datetime]:
        canonical = {url: canonical_url(url) for url in urls}
        dated = await db(store.published_dates, canonical.values())
        return {url: dated[c] for url, c in canonical.items() if c in dated}

    try:
        methods = await discover(fetcher, source, since, until, settings, known=stored_dates)
    except SourceError as exc:
        result.problems.append(str(exc))
        await db(store.add_source_problems, source.key, result.problems, now)
        return result
    found: dict[str, Any] = {}
    for m in methods:
        result.problems += [f"{m.method}: {p}" for p in m.problems]
        result.notes += [f"{m.method}: {n}" for n in m.notes]
        if m.available:
            result.methods.append(m.method)
        result.complete = result.complete or m.complete
        for f in m.found:
            canonical = canonical_url(f.url)
            # a feed entry (title, date, content) beats a bare sitemap URL for the same post
            if canonical not in found or (f.item is not None and found[canonical].item is None):
                found[canonical] = f
    result.found = len(found)
    items = [f.feed_item() for f in found.values()]
    limit = settings.backfill.max_posts
    if len(items) > limit:
        result.problems.append(f"{len(items)} posts found; fetched the first {limit} (backfill.max_posts)")
        result.complete = False
        items = items[:limit]
    new = await (ingest or pipeline.ingest)(fetcher, source, items, RunReport())
    result.new_posts = len(new)
    if result.complete:
        await db(store.add_coverage, source.key, since, min(until, now), "backfill")
    elif not result.methods:
        result.problems.append("no sitemap, paged feed or archive lists this source's past posts: "
                               "a period its feed no longer covers may have holes")
    await db(store.add_source_problems, source.key, result.problems, now)
    return result


def run_backfill(store, settings, since: datetime, until: datetime, *, keys: list[str] | None = None,
                 now: datetime, transport: Any = None, host_gate: Any = None) -> list[BackfillResult]:
    """Backfill every enabled source (or ``keys``) for [since, until), sources concurrently."""
    from .fetch import Fetcher
    from .pipeline import Pipeline

    if keys:
        sources = []
        for key in keys:
            source = store.get_source(key)
            if source is None:
                raise SourceError(f"no source with key {key!r} (see `blogsift sources list`)", source=key)
            sources.append(source)
    else:
        sources = store.list_sources(enabled_only=True)
    pipeline = Pipeline(store, settings, transport=transport, progress=False)

    async def all_sources() -> list[BackfillResult]:
        async with Fetcher(settings.fetch, transport=transport, host_gate=host_gate) as fetcher:
            return list(await asyncio.gather(*(backfill_source(pipeline, fetcher, s, since, until, now=now)
                                               for s in sources)))

    return asyncio.run(all_sources())
