"""A post with no date in its feed entry or on its page is kept, said so, and held back from the digest."""

from __future__ import annotations

from localserver import LocalServer, Route

from blogsift.models import Source
from blogsift.pipeline import Pipeline

PARAS = "".join(f"<p>Part {i}: we serve a 7B model with vLLM on two GPUs at 45 ms p99 and publish the code "
                f"on GitHub for others to reuse in production.</p>" for i in range(8))


def test_an_undated_post_is_stored_with_a_reason_and_never_selected(store, settings):
    settings.curation.threshold = 0.0
    with LocalServer() as srv:
        base = srv.base_url
        srv.routes.update({
            "/feed.xml": Route(body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                                    f"<link>{base}/</link>"
                                    f"<item><title>Serving a 7B model with vLLM</title><link>{base}/p/undated</link></item>"
                                    f"<item><title>Serving a 7B model on CPUs</title><link>{base}/p/dated</link>"
                                    f"<pubDate>Mon, 12 Oct 2026 09:00:00 GMT</pubDate></item>"
                                    f"</channel></rss>", content_type="application/rss+xml"),
            "/p/undated": Route(body=f"<html><body><article><h1>Serving</h1>{PARAS}</article></body></html>"),
            "/p/dated": Route(body=f"<html><body><article><h1>Serving</h1>{PARAS}</article></body></html>"),
        })
        store.upsert_source(Source(key="ex", name="Ex", feed_url=f"{base}/feed.xml", org="Ex", lang="en",
                                   kind="company"))
        report = Pipeline(store, settings, progress=False).run(since=None, until=None)
    assert report.posts_new == 2 and report.posts_undated == 1 and report.candidates == 1
    undated = store.get_post(f"{base}/p/undated")
    assert undated.published is None and "held back from digests" in undated.extraction_note
    assert "held back" in report.posts_fallback[f"{base}/p/undated"]
    assert all(e["url"] != undated.url for e in store.list_entries(status=None))
