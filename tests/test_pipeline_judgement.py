"""In a run, each post is judged by the blog it belongs to, resolved from its URL: a research lab's post
that reaches the store through another feed is still research; the feed's own posts are its kind's."""

from __future__ import annotations

from datetime import UTC, datetime

from localserver import LocalServer, Route
from test_pipeline_fetch import page, rss

from blogsift.models import Source
from blogsift.pipeline import Pipeline


def test_a_post_is_judged_by_the_blog_its_url_belongs_to(store, settings):
    with LocalServer() as srv:
        base = srv.base_url
        srv.routes.update({
            "/agg.xml": Route(body=rss(base, [("/lab/blog/expert-choice-routing", "Mixture-of-experts with expert choice routing"),
                                              ("/agg/p/ride-pricing", "Mixture-of-experts for ride pricing")]),
                              content_type="application/rss+xml"),
            "/lab/blog/expert-choice-routing": page("Mixture-of-experts with expert choice routing"),
            "/agg/p/ride-pricing": page("Mixture-of-experts for ride pricing"),
        })
        store.put_document("registry_seeded", "test")
        store.upsert_source(Source(key="agg", name="Agg", feed_url=f"{base}/agg.xml", home_url=f"{base}/agg/",
                                   org="Agg", kind="company"))
        store.upsert_source(Source(key="lab", name="Lab", feed_url=f"{base}/lab.xml", home_url=f"{base}/lab/blog/",
                                   org="Lab", kind="research", enabled=False))
        Pipeline(store, settings, progress=False).run(since=datetime(2026, 10, 1, tzinfo=UTC),
                                                      until=datetime(2026, 10, 31, tzinfo=UTC))
        lab_post = store.get_post(f"{base}/lab/blog/expert-choice-routing")
        agg_post = store.get_post(f"{base}/agg/p/ride-pricing")
    assert lab_post.source_key == "agg"                     # it came through the aggregator's feed
    assert store.get_classification(lab_post.id).track == "research"
    assert store.get_classification(agg_post.id).track == "business"
