"""Stages 4–8 over the posts of a period: enrich, classify, rank, select, summarize.

The orchestrator (``pipeline.py``) calls these functions in order; none of them calls back into it.
Each stage writes what it produced with the hash of what it was produced from (the post's content,
the model's version, see :class:`Plan`), so a re-run remakes only the records whose inputs changed:
an unchanged post is not re-enriched, re-classified or re-ranked, and the classifier is not even
loaded when no post needs it. Full posts are read in batches of :data:`BATCH_POSTS`; the period as a
whole is only ever held as outlines (no text). A person's decisions and edits always win: an entry a
person accepted, moved or edited is never rewritten by a machine, a post a person rejected is never
selected, and a person's summary is never replaced.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from .models import Classification, Enrichment, Post, Source, Summary
from .store import Store
from .store.entries import MACHINE_ORIGINS
from .store.posts import ENRICHMENT_MODEL, PostState

__all__ = ["BATCH_POSTS", "Plan", "StageCounts", "curate_batch", "entry_for", "plan_period",
           "select_period", "summarize_selected", "update_duplicates"]

#: posts whose full text is in memory at once: enough to amortise a transaction and a model call,
#: few enough (× ~100 KB of text and HTML each) to keep a 10,000-post period far from the memory cap
BATCH_POSTS = 200


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


# -- what a run has to do --------------------------------------------------------------------------

@dataclass
class PostPlan:
    state: PostState
    enrich_hash: str
    classify_hash: str
    rank_hash: str

    @property
    def enrich(self) -> bool:
        return self.state.enrichment_hash != self.enrich_hash

    @property
    def classify(self) -> bool:
        if (self.state.classification_by or "").startswith("person"):
            return False   # a person's classification stands
        return self.state.classification_hash != self.classify_hash

    @property
    def rank(self) -> bool:
        return self.state.score_hash != self.rank_hash

    @property
    def any(self) -> bool:
        return self.enrich or self.classify or self.rank


class Plan:
    """The models a period's curation uses, their versions known before any is loaded, and which
    posts need which stage. A record is current when its input hash is that of the post's content
    and the model version now in force; the classifier's version is the hash of its training data
    (the shipped labelled posts and every example a person gave), the ranker's the hash of its weights
    (learned from a person's decisions)."""

    def __init__(self, store: Store, settings):
        from .classify import examples_from_store, training_key
        from .rank import Ranker
        from .sources import registry_resolver

        self.store, self.settings = store, settings
        self.sources = {s.key: s for s in store.list_sources()}
        self.resolve = registry_resolver(list(self.sources.values()), settings.registry or None).resolve
        self.examples = examples_from_store(store, self.resolve)
        self.classifier_key = training_key(settings, self.examples)
        self.ranker = Ranker.from_store(store, settings)
        self.ranker_key = _hash(self.ranker.model, sorted(self.ranker.weights.items()))
        # popularity (points, stars) changes between runs without the post changing: with it on, every
        # run re-ranks (its lookups are cached for curation.popularity_cache_days)
        self.popularity_token = datetime.now().isoformat() if settings.curation.popularity else ""
        self._classifier = None

    def source_of(self, post: Post | PostState) -> Source | None:
        """The blog behind a post by its URL (a feed may carry another blog's posts), else its feed's."""
        return self.resolve(post.url) or self.sources.get(post.source_key)

    @property
    def classifier(self):
        if self._classifier is None:
            from .classify import Classifier
            self._classifier = Classifier.default(self.settings, extra_examples=self.examples)
        return self._classifier

    def post(self, state: PostState) -> PostPlan:
        from .classify import source_features

        source = self.source_of(state)
        e = _hash("enrich", state.content_hash, ENRICHMENT_MODEL)
        c = _hash("classify", state.content_hash, source_features(source), self.classifier_key)
        r = _hash("rank", state.content_hash, e, c, source.reputation if source else None, self.ranker_key,
                  self.popularity_token)
        return PostPlan(state, e, c, r)


def plan_period(plan: Plan, since: datetime | None, until: datetime | None) -> tuple[list[PostPlan], int]:
    """(every dated post of the period with what it needs, number of undated posts held back)."""
    states = plan.store.post_states(since, until)
    dated = [s for s in states if s.published is not None]
    return [plan.post(s) for s in dated], len(states) - len(dated)


def batches(todo: list[PostPlan]) -> Iterator[list[PostPlan]]:
    # by source, so a batch's series lookups read few sources' outlines
    ordered = sorted(todo, key=lambda p: (p.state.source_key, p.state.id))
    for i in range(0, len(ordered), BATCH_POSTS):
        yield ordered[i:i + BATCH_POSTS]


# -- enrich, classify, rank: one batch -------------------------------------------------------------

@dataclass
class StageCounts:
    enriched: int = 0
    classified: int = 0
    ranked: int = 0
    stage_s: dict[str, float] = field(default_factory=dict)


def curate_batch(plan: Plan, batch: list[PostPlan], counts: StageCounts, timed) -> None:
    """Enrich, classify and rank the posts of ``batch`` that need it; one transaction for the batch."""
    from .enrich import enrich, signature

    store = plan.store
    posts = {p.id: p for p in store.posts_by_ids([b.state.id for b in batch])}
    work = [(b, posts[b.state.id]) for b in batch if b.state.id in posts]

    def do_enrich() -> dict[int, Enrichment]:
        need = [(b, p) for b, p in work if b.enrich]
        known: dict[str, list[Post]] = {}
        for o in store.post_outlines({p.source_key for _, p in need}):
            known.setdefault(o.source_key, []).append(o)
        out = {p.id: enrich(p, known_posts=known.get(p.source_key, ())) for _, p in need}
        return out

    enrichments = timed("enrich", do_enrich)
    counts.enriched += len(enrichments)

    def do_classify() -> dict[int, Classification]:
        need = [p for b, p in work if b.classify]
        if not need:
            return {}
        results = plan.classifier.classify_many([dict(title=p.title, text=p.text, source=plan.source_of(p),
                                                      lang=p.lang) for p in need])
        return {p.id: c for p, c in zip(need, results)}

    classes = timed("classify", do_classify)
    counts.classified += len(classes)

    def do_rank() -> dict:
        from .popularity import popularity_for

        out = {}
        for b, p in work:
            if not b.rank:
                continue
            c = classes.get(p.id) or store.get_classification(p.id)
            e = enrichments.get(p.id) if p.id in enrichments else store.get_enrichment(p.id)
            if c is None:
                continue
            pop = popularity_for(store, plan.settings, p, e) if plan.settings.curation.popularity else None
            out[p.id] = plan.ranker.rank(p, c, e, plan.source_of(p), popularity=pop)
        return out

    scores = timed("rank", do_rank)
    counts.ranked += len(scores)
    plans = {b.state.id: b for b, _ in work}

    def write() -> None:
        store.put_classifications([(i, c, plans[i].classify_hash) for i, c in classes.items()])
        store.put_results(
            enrichments=[(i, e, signature(posts[i], e), plans[i].enrich_hash) for i, e in enrichments.items()],
            scores=[(i, s, plans[i].rank_hash) for i, s in scores.items()])

    timed("write", write)


def update_duplicates(store: Store, since: datetime | None, until: datetime | None) -> int:
    """Re-group the period's copies of one story (from stored signatures, no texts); returns how many
    enrichments changed."""
    from .enrich import find_duplicates

    rows = store.duplicate_signatures(since, until)
    before = {p.id: (e.duplicate_of, list(e.alternate_urls)) for p, e, _ in rows}
    enrichments = {p.id: e for p, e, _ in rows}
    for e in enrichments.values():
        e.duplicate_of, e.alternate_urls = None, []
    groups = find_duplicates([p for p, _, _ in rows], enrichments, signatures={p.id: set(s) for p, _, s in rows})
    for group in groups:
        enrichments.update(group)
    changed = [(i, e) for i, e in enrichments.items() if (e.duplicate_of, list(e.alternate_urls)) != before[i]]
    if changed:
        store.update_enrichments(changed)
    return len(changed)


# -- select ------------------------------------------------------------------------------------------

@dataclass
class Selected:
    post: Post                      # an outline: no text
    classification: Classification
    enrichment: Enrichment | None


def select_period(store: Store, settings, since: datetime | None, until: datetime | None) -> list[Selected]:
    from .select import Candidate, select

    candidates = [Candidate(post=p, classification=c, score=s, enrichment=e)
                  for p, c, s, e in store.candidates(since, until) if p.published is not None]
    return [Selected(s.candidate.post, s.candidate.classification, s.candidate.enrichment)
            for s in select(candidates, settings, store.all_decisions()) if s.selected]


# -- summarize ---------------------------------------------------------------------------------------

@dataclass
class SummaryOutcome:
    summarized: int = 0
    entries_written: int = 0
    warnings: list[str] = field(default_factory=list)


def summarize_selected(store: Store, settings, selected: list[Selected]) -> SummaryOutcome:
    """Summaries for the selections that have none yet (concurrent LLM requests up to
    ``summary.llm_concurrency``), then the digest entries, written only when they change."""
    from .summarize import make_summarizer

    out = SummaryOutcome()
    lang = settings.summary.lang
    machine = []
    for sel in selected:
        existing = store.get_entry(sel.post.url)
        if existing and (existing["origin"] not in MACHINE_ORIGINS or store.decisions_for(sel.post.url)):
            continue  # a person accepted, moved or edited it: their entry stands as they left it
        machine.append((sel, existing, store.get_summary(sel.post.id)))
    need = [(sel, summary) for sel, _, summary in machine
            if summary is None or (not summary.by_person and summary.lang != lang)]
    made: dict[int, Summary] = {}
    if need:
        summarizer = make_summarizer(settings, store=store)
        full = {p.id: p for p in store.posts_by_ids([sel.post.id for sel, _ in need])}
        items = [(full[sel.post.id], sel.enrichment) for sel, _ in need if sel.post.id in full]
        if hasattr(summarizer, "summarize_many"):   # the LLM: one event loop, requests overlap
            results = asyncio.run(summarizer.summarize_many(items, lang))
        else:
            results = _summarize_apart(settings, items, lang)
        read = {sel.post.id: summary for sel, summary in need}
        for (post, _), summary in zip(items, results):
            # written only over the summary read before the (slow) summarizer ran: a person may have
            # edited it meanwhile, and then their edit stands
            before = read.get(post.id)
            if store.put_summary(post.id, summary, expect_version=before.version if before else 0):
                made[post.id] = summary
            else:
                out.warnings.append(f"kept the person's edit of {post.url}")
        out.summarized = len(made)
        usage = getattr(summarizer, "usage", None)
        if usage is not None:  # the LLM summarizer: say what it cost and where it fell back
            out.warnings.append(f"LLM: {usage.requests} requests, {usage.total_tokens} tokens, "
                                f"cost {summarizer.cost:.4f}, {usage.cache_hits} cached")
            out.warnings += [f"LLM fell back to extractive: {f}" for f in usage.fallbacks]
    for sel, existing, summary in machine:
        if sel.post.id in made:
            summary = store.get_summary(sel.post.id)   # what the store kept (a person's wins)
        if summary is None:
            continue
        entry = entry_for(sel.post, sel.classification, store.get_source(sel.post.source_key),
                          _bullets(store, settings, sel, summary), summary.author)
        if existing and all(existing.get(k) == v for k, v in entry.items()):
            continue   # unchanged: no write
        if store.put_machine_entry(entry, expect_version=existing["version"] if existing else None):
            out.entries_written += 1
        else:
            out.warnings.append(f"kept the person's edit of {sel.post.url}")
    return out


def _summarize_apart(settings, items: list[tuple[Post, Enrichment | None]], lang: str) -> list[Summary]:
    """Extractive summaries; made in a child process when a text has Korean in it, so that the Korean
    analyser it may load (~330 MB) lives and dies there and the run's own memory stays bounded by its
    batches. Without Korean they are made here (a child costs a second to start)."""
    from .extractpool import init_worker, main_module_hidden, worker_context
    from .summarize.extractive import may_need_kiwi

    if not any(may_need_kiwi(post.text) or may_need_kiwi(post.title) for post, _ in items):
        return _summarize_all(settings, items, lang)
    with ProcessPoolExecutor(1, mp_context=worker_context(), initializer=init_worker,
                             initargs=(0, os.getpid())) as child:
        with main_module_hidden():
            future = child.submit(_summarize_all, settings, items, lang)
        return future.result()


def _summarize_all(settings, items: list[tuple[Post, Enrichment | None]], lang: str) -> list[Summary]:
    from .summarize import make_summarizer

    summarizer = make_summarizer(settings)
    return [summarizer.summarize(p, e, lang=lang) for p, e in items]


def _bullets(store: Store, settings, sel: Selected, summary: Summary) -> list[str]:
    bullets = list(summary.bullets)
    for alt in (sel.enrichment.alternate_urls if sel.enrichment else []):
        # one story in two languages: one entry, the other copy linked from it
        other = store.get_post(alt)
        if other is not None and other.lang != sel.post.lang and alt not in " ".join(bullets):
            label = {"ko": "한국어 버전", "en": "English version"}.get(other.lang, other.lang)
            bullets.append(f"[{label}]({alt})도 있음" if settings.summary.lang == "ko" else f"Also in [{label}]({alt})")
    return bullets


def entry_for(post: Post, c: Classification, source: Source | None, bullets: list[str], author: str) -> dict:
    """A digest entry for a selected post, by the house rules (org left out on the AWS track)."""
    from .digest import house_title

    org = None if c.track == "aws" or source is None else source.org
    month = (post.published or datetime.now()).strftime("%Y-%m")
    return {"url": post.url, "post_id": post.id, "track": c.track, "area": c.area, "month": month, "org": org,
            "title_md": house_title(post.title), "bullets": list(bullets), "images": [], "raw_md": None,
            "origin": "machine", "status": "accepted", "summary_author": author}
