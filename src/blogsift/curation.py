"""Stages 4–8 of a run over the posts of a period: enrich, classify, rank, select, summarize.

Each stage writes what it produced to the store with what produced it; a person's decisions and
edits always win: an entry a person accepted, moved or edited is never rewritten by a machine, a
post a person rejected is never selected, and a person's summary is never replaced.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from .models import Classification, Enrichment, Post, Source
from .store.entries import MACHINE_ORIGINS

if TYPE_CHECKING:
    from .pipeline import Pipeline, RunReport

__all__ = ["curate_period", "entry_for"]


def curate_period(pipe: "Pipeline", report: "RunReport", *, since: datetime | None,
                  until: datetime | None) -> None:
    from .pipeline import months_between

    store, settings = pipe.store, pipe.settings
    # an undated post is held back (its note says so) until a person dates it
    posts = [p for p in store.list_posts(since, until) if p.published is not None]
    report.candidates = len(posts)
    if not posts:
        return
    sources = {s.key: s for s in store.list_sources()}
    enrichments = pipe._timed(report, "enrich", lambda: _enrich(store, posts))
    classes = pipe._timed(report, "classify", lambda: _classify(store, settings, posts, sources))
    scores = pipe._timed(report, "rank", lambda: _rank(store, settings, posts, classes, enrichments, sources))
    selected = pipe._timed(report, "select", lambda: _select(store, settings, posts, classes, scores,
                                                              enrichments, since, until))
    report.selected = len(selected)
    pipe._timed(report, "summarize", lambda: _summarize(pipe, report, selected, enrichments, sources, classes))


def _enrich(store, posts: list[Post]) -> dict[int, Enrichment]:
    from .enrich import enrich, find_duplicates

    out: dict[int, Enrichment] = {}
    by_source: dict[str, list[Post]] = defaultdict(list)
    for p in posts:
        by_source[p.source_key].append(p)
    for p in posts:
        out[p.id] = enrich(p, known_posts=by_source[p.source_key])
    for group in find_duplicates(posts, enrichments=out):
        for post_id, enrichment in group.items():
            out[post_id] = enrichment
    for post_id, e in out.items():
        store.put_enrichment(post_id, e)
    return out


def _classify(store, settings, posts: list[Post], sources: dict[str, Source]) -> dict[int, Classification]:
    from .classify import Classifier, examples_from_store
    from .sources import registry_resolver

    # the blog behind each post by its URL (a feed may carry another blog's posts), else the feed's
    resolve = registry_resolver(list(sources.values()), settings.registry or None).resolve
    clf = Classifier.default(settings, extra_examples=examples_from_store(store, resolve))
    out: dict[int, Classification] = {}
    results = clf.classify_many([
        dict(title=p.title, text=p.text, source=resolve(p.url) or sources.get(p.source_key), lang=p.lang)
        for p in posts])
    for p, c in zip(posts, results):
        store.put_classification(p.id, c)
        out[p.id] = c
    return out


def _rank(store, settings, posts, classes, enrichments, sources):
    from .popularity import popularity_for
    from .rank import Ranker

    ranker = Ranker.from_store(store, settings)
    out = {}
    for p in posts:
        pop = popularity_for(store, settings, p, enrichments.get(p.id)) if settings.curation.popularity else None
        score = ranker.rank(p, classes[p.id], enrichments.get(p.id), sources.get(p.source_key), popularity=pop)
        store.put_score(p.id, score)
        out[p.id] = score
    return out


def _select(store, settings, posts, classes, scores, enrichments, since, until) -> list[Post]:
    from .select import Candidate, select

    decisions = store.all_decisions()
    candidates = [Candidate(post=p, classification=classes[p.id], score=scores[p.id],
                            enrichment=enrichments.get(p.id)) for p in posts]
    chosen: list[Post] = []
    for selection in select(candidates, settings, decisions):
        if selection.selected:
            chosen.append(selection.candidate.post)
    return chosen


def _summarize(pipe, report, selected, enrichments, sources, classes) -> None:
    from .summarize import make_summarizer

    store, settings = pipe.store, pipe.settings
    summarizer = make_summarizer(settings, store=store)
    for post in selected:
        existing = store.get_entry(post.url)
        if existing and (existing["origin"] not in MACHINE_ORIGINS or store.decisions_for(post.url)):
            continue  # a person accepted, moved or edited it: their entry stands as they left it
        summary = store.get_summary(post.id)
        if summary is None or (not summary.by_person and summary.lang != settings.summary.lang):
            made = summarizer.summarize(post, enrichments.get(post.id), lang=settings.summary.lang)
            # written only over the summary read before the (slow) summarizer ran: a person may have
            # edited it meanwhile, and then their edit stands
            if not store.put_summary(post.id, made, expect_version=summary.version if summary else 0):
                report.warnings.append(f"kept the person's edit of {post.url}")
                continue
            summary = store.get_summary(post.id)
            report.summarized += 1
        bullets = list(summary.bullets)
        enrichment = enrichments.get(post.id)
        for alt in (enrichment.alternate_urls if enrichment else []):
            # one story in two languages: one entry, the other copy linked from it
            other = store.get_post(alt)
            if other is not None and other.lang != post.lang and alt not in " ".join(bullets):
                label = {"ko": "한국어 버전", "en": "English version"}.get(other.lang, other.lang)
                bullets.append(f"[{label}]({alt})도 있음" if settings.summary.lang == "ko" else f"Also in [{label}]({alt})")
        entry = entry_for(post, classes[post.id], sources.get(post.source_key), bullets, summary.author)
        if not store.put_machine_entry(entry, expect_version=existing["version"] if existing else None):
            report.warnings.append(f"kept the person's edit of {post.url}")
    usage = getattr(summarizer, "usage", None)
    if usage is not None:  # the LLM summarizer: say what it cost and where it fell back
        report.warnings.append(f"LLM: {usage.requests} requests, {usage.total_tokens} tokens, "
                               f"cost {summarizer.cost:.4f}, {usage.cache_hits} cached")
        report.warnings += [f"LLM fell back to extractive: {f}" for f in usage.fallbacks]


def entry_for(post: Post, c: Classification, source: Source | None, bullets: list[str], author: str) -> dict:
    """A digest entry for a selected post, by the house rules (org left out on the AWS track)."""
    from .digest import house_title

    org = None if c.track == "aws" or source is None else source.org
    month = (post.published or datetime.now()).strftime("%Y-%m")
    return {"url": post.url, "post_id": post.id, "track": c.track, "area": c.area, "month": month, "org": org,
            "title_md": house_title(post.title), "bullets": list(bullets), "images": [], "raw_md": None,
            "origin": "machine", "status": "accepted", "summary_author": author}
