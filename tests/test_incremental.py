"""A second run over an unchanged web is cheap; a run after new posts finds exactly those; a record
(enrichment, classification, score, summary) is remade only when its post or its model changed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from corpus import REFERENCE, generate_corpus, serve_corpus  # noqa: E402
from pipeline import bench_settings  # noqa: E402

from blogsift.models import Decision  # noqa: E402
from blogsift.pipeline import Pipeline  # noqa: E402

PERIOD = dict(since=REFERENCE.replace(month=8), until=REFERENCE)


def test_unchanged_web_costs_one_request_per_feed_and_new_posts_are_found(store):
    corpus = generate_corpus(6, 4, real=False)
    settings = bench_settings()
    period = dict(since=REFERENCE.replace(month=8), until=REFERENCE)
    with serve_corpus(corpus) as (base, stats):
        store.put_document("registry_seeded", "test")
        for src in corpus.sources(base):
            store.upsert_source(src)
        first = Pipeline(store, settings, progress=False).run(**period)
        assert first.posts_new == corpus.size
        before, not_modified_before = stats.requests, stats.not_modified
        second = Pipeline(store, settings, progress=False).run(**period)
        assert second.posts_new == 0
        # one request per feed (plus robots.txt); feeds with validators answer 304, no page is fetched
        assert stats.requests - before <= corpus.n_sources + 1
        assert stats.not_modified - not_modified_before == sum(corpus.validators(s) for s in range(corpus.n_sources))
        assert second.feeds_not_modified == stats.not_modified - not_modified_before
        added = corpus.mutate(0.1)
        before_pages = stats.by_kind["page"]
        third = Pipeline(store, settings, progress=False).run(**period)
        assert third.posts_new == added
        assert stats.by_kind["page"] - before_pages == added
    assert store.count_posts() == corpus.size


def test_a_rerun_remakes_only_the_records_whose_post_or_model_changed(store):
    corpus = generate_corpus(4, 4, real=False)
    settings = bench_settings()
    with serve_corpus(corpus) as (base, stats):
        store.put_document("registry_seeded", "test")
        for src in corpus.sources(base):
            store.upsert_source(src)
        first = Pipeline(store, settings, progress=False).run(**PERIOD)
        assert first.classified == first.enriched == first.ranked == first.candidates == corpus.size
        assert first.selected and first.summarized == first.selected
        second = Pipeline(store, settings, progress=False).run(**PERIOD)
        assert (second.enriched, second.classified, second.ranked, second.summarized) == (0, 0, 0, 0)
        assert second.selected == first.selected
        # a post is corrected: only its records are remade
        post = store.list_posts(**PERIOD)[0]
        post.text += "\nUpdate: the new kernel cut latency by another 12%."
        store.upsert_post(post)
        third = Pipeline(store, settings, progress=False).run(**PERIOD)
        assert (third.enriched, third.classified, third.ranked) == (1, 1, 1)
        # a person's decision is a new training example: the classifier changes, every post is reclassified
        entry = store.list_entries()[0]
        store.add_decision(Decision(url=entry["url"], action="accept", author="person:test"))
        fourth = Pipeline(store, settings, progress=False).run(**PERIOD)
        assert fourth.classified == corpus.size and fourth.enriched == 0
