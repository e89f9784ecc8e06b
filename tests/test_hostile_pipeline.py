"""Hostile feeds and pages, end to end: the run completes, each problem is reported, no script,
`javascript:` link or injected Markdown structure reaches any output, and the hostile post itself
still arrives in the digest, cleaned."""

from __future__ import annotations

from localserver import LocalServer, Route

from blogsift.digest import entries_from_store, render_atom, render_html, render_json
from blogsift.models import Source
from blogsift.pipeline import Pipeline
from blogsift.publish import write_digest
from blogsift.store import Store

BODY = ("<p>" + "We cut inference latency of our ranking model from 80 ms to 20 ms with ONNX Runtime and "
        "dynamic batching on GPUs, serving 40,000 requests per second in production. " * 8 + "</p>")


def page(title: str, extra: str = "") -> str:
    return f"<html><head><title>x</title></head><body><article><h1>{title}</h1>{BODY}{extra}</article></body></html>"


def test_hostile_web_never_reaches_the_digest(store_url, settings, tmp_path):
    with Store(store_url) as store:
        _hostile_run(store, settings, tmp_path)


def _hostile_run(store, settings, tmp_path):
    evil_title = 'Serving models fast <script>alert(1)</script> [click](javascript:alert(2))\n## 9. Injected'
    with LocalServer() as srv:
        b = srv.base_url
        feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{b}/</link>'
                f'<item><title><![CDATA[{evil_title}]]></title><link>{b}/p/evil</link>'
                f'<pubDate>Tue, 20 Oct 2026 10:00:00 GMT</pubDate></item>'
                f'<item><title>Serving with ONNX Runtime</title><link>javascript:alert(3)</link>'
                f'<pubDate>Tue, 20 Oct 2026 10:00:00 GMT</pubDate></item>'
                f'<item><title>Private redirect</title><link>{b}/p/redirect</link>'
                f'<pubDate>Tue, 20 Oct 2026 10:00:00 GMT</pubDate></item>'
                f'<item><title>Gzip bomb</title><link>{b}/p/bomb</link>'
                f'<pubDate>Tue, 20 Oct 2026 10:00:00 GMT</pubDate></item>'
                f'</channel></rss>')
        srv.routes.update({
            "/feed.xml": Route(body=feed, content_type="application/rss+xml"),
            "/p/evil": page(evil_title, '<a href="javascript:alert(4)">x</a><script>steal()</script>'),
            "/p/redirect": Route(redirect="http://10.0.0.1/admin"),
            "/p/bomb": Route(body=b"\0" * 30_000_000, gzip=True),
            "/bad.xml": Route(body=b"\xff\xfe<rss><channel><item><title>\xc3\x28", content_type="application/rss+xml"),
        })
        settings.fetch.allow_private_addresses = False
        settings.fetch.allowed_networks = ["127.0.0.0/8"]
        settings.fetch.max_bytes = 2_000_000
        settings.curation.threshold = 0.0
        store.put_document("registry_seeded", "test")
        store.upsert_source(Source(key="evil", name="Evil", feed_url=f"{b}/feed.xml", org="Evil"))
        store.upsert_source(Source(key="bad", name="Bad", feed_url=f"{b}/bad.xml", org="Bad"))
        report = Pipeline(store, settings, progress=False).run(since=None, until=None)

    assert "evil" in report.sources_ok
    assert any("javascript" in w for w in report.warnings)                 # the script link was dropped, said so
    notes = " ".join(report.posts_fallback.values())
    assert "private" in notes and ("cap" in notes or "large" in notes)    # refused redirect, stopped bomb
    out = tmp_path / "digest.md"
    md = write_digest(store, settings, out).text
    entries = entries_from_store(store)
    outputs = {"md": md, "html": render_html(entries), "atom": render_atom(entries), "json": render_json(entries)}
    for name, text in outputs.items():
        low = text.lower()
        assert "<script" not in low and "javascript:" not in low, name
    # the injected heading stays text inside the entry line: the only headings are the house's own
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert all(h.startswith(("# Summary", "## 1.", "## 2.", "## 3.", "### ")) for h in headings), headings
    # the hostile post itself arrives, cleaned: one entry line, its title as plain text
    evil_url = f"{b}/p/evil"
    lines = [line for line in md.splitlines() if f"]({evil_url})" in line]
    assert len(lines) == 1 and lines[0].startswith("* [Serving Models Fast "), lines
    assert "Injected" in lines[0] and "<" not in lines[0] and "javascript:" not in lines[0].lower()
    assert evil_url in [e.url for e in entries] and all(evil_url in outputs[name] for name in ("html", "atom", "json"))
