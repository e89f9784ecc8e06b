"""The pipeline's fetch stage against real local servers: per-source outcomes, resume, nothing lost."""

from __future__ import annotations

import asyncio
from email.utils import format_datetime
from datetime import UTC, datetime, timedelta

from localserver import LocalServer, Route

from blogsift.models import Source
from blogsift.pipeline import Pipeline, RunReport

ARTICLE = """<html><head><title>{title}</title><meta name="author" content="Kim"></head><body>
<nav>Home | Blog | About</nav><article><h1>{title}</h1>
{paras}
</article><footer>© Example</footer></body></html>"""


def page(title: str) -> Route:
    para = ("<p>We trained a retrieval model on 12 million query pairs and cut p99 latency from 180 ms to "
            "45 ms on a single GPU while keeping recall@10 at 0.91. The serving stack uses ONNX Runtime and "
            "a feature store refreshed every hour; this paragraph repeats to make a real article.</p>")
    return Route(body=ARTICLE.format(title=title, paras=para * 6))


def rss(base: str, items: list[tuple[str, str]], start=datetime(2026, 10, 20, tzinfo=UTC)) -> str:
    out = []
    for i, (path, title) in enumerate(items):
        date = format_datetime(start - timedelta(days=i))
        out.append(f"<item><title>{title}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
                   f"<pubDate>{date}</pubDate><description>{title} summary</description></item>")
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{base}/</link>'
            f'{"".join(out)}</channel></rss>')


def _run_fetch(store, settings) -> RunReport:
    report = RunReport()
    asyncio.run(Pipeline(store, settings, progress=False).fetch_all(report))
    return report


def _src(key: str, base: str, path: str) -> Source:
    return Source(key=key, name=key.title(), feed_url=f"{base}{path}", org="Ex", lang="en")


def test_sources_fail_alone_and_others_go_on(store, settings):
    with LocalServer() as srv:
        base = srv.base_url
        srv.routes.update({
            "/good.xml": Route(body=rss(base, [("/p/1", "Serving retrieval at scale"), ("/p/2", "Feature stores")]),
                               content_type="application/rss+xml", headers={"ETag": '"v1"'}),
            "/p/1": page("Serving retrieval at scale"), "/p/2": page("Feature stores"),
            "/gone.xml": Route(status=410, body="gone"),
            "/html.xml": Route(body="<html><body><h1>Welcome</h1></body></html>"),
            "/broken.xml": Route(body=rss(base, [("/p/3", "Broken but readable")])[:-20],
                                 content_type="application/rss+xml"),
            "/p/3": page("Broken but readable"),
        })
        for key, path in [("good", "/good.xml"), ("gone", "/gone.xml"), ("html", "/html.xml"),
                          ("broken", "/broken.xml")]:
            store.upsert_source(_src(key, base, path))
        store.put_document("registry_seeded", "test")
        report = _run_fetch(store, settings)

        assert sorted(report.sources_ok) == ["broken", "good"]
        assert "410" in report.sources_failed["gone"]
        assert "not a feed" in report.sources_failed["html"].lower()
        assert any(w.startswith("broken:") for w in report.warnings)   # bozo feed: warned, items kept
        assert {p.title for p in store.list_posts()} >= {"Serving retrieval at scale", "Feature stores",
                                                          "Broken but readable"}
        assert store.source_status("gone")["status"] == "gone"

        # the second run: the gone source is not retried, the unchanged feed answers 304
        srv.routes["/good.xml"] = lambda req: Route(status=304) if req.headers.get("if-none-match") == '"v1"' \
            else Route(body="changed", content_type="application/rss+xml")
        hits_before = srv.hits["/gone.xml"]
        report2 = _run_fetch(store, settings)
        assert srv.hits["/gone.xml"] == hits_before
        assert "gone" in report2.sources_skipped["gone"]
        assert report2.feeds_not_modified == 1 and report2.posts_new == 0
        assert srv.hits["/p/1"] == 1   # pages are never fetched twice


def test_duplicate_entries_across_feeds_are_one_post(store, settings):
    with LocalServer() as srv:
        base = srv.base_url
        shared = [("/p/shared?utm_source=rss", "Shared post")]
        srv.routes.update({
            "/a.xml": Route(body=rss(base, shared), content_type="application/rss+xml"),
            "/b.xml": Route(body=rss(base, [("/p/shared", "Shared post")]), content_type="application/rss+xml"),
            "/p/shared": page("Shared post"),
        })
        store.upsert_source(_src("a", base, "/a.xml"))
        store.upsert_source(_src("b", base, "/b.xml"))
        store.put_document("registry_seeded", "test")
        _run_fetch(store, settings)
        _run_fetch(store, settings)
        assert [p.title for p in store.list_posts()] == ["Shared post"]


def test_short_page_falls_back_to_feed_content_and_says_so(store, settings):
    with LocalServer() as srv:
        base = srv.base_url
        body = "<p>" + "Full text of the post from content:encoded with 40% fewer GPU hours. " * 20 + "</p>"
        feed = (f'<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
                f'<channel><title>T</title><link>{base}/</link><item><title>Login walled</title>'
                f'<link>{base}/p/wall</link><pubDate>Tue, 20 Oct 2026 10:00:00 GMT</pubDate>'
                f'<content:encoded><![CDATA[{body}]]></content:encoded></item></channel></rss>')
        srv.routes.update({"/f.xml": Route(body=feed, content_type="application/rss+xml"),
                           "/p/wall": Route(body="<html><body><form>Please log in</form></body></html>")})
        store.upsert_source(_src("w", base, "/f.xml"))
        store.put_document("registry_seeded", "test")
        report = _run_fetch(store, settings)
        post = store.get_post(f"{base}/p/wall")
        assert post.extraction == "feed"
        assert "40% fewer GPU hours" in post.text
        assert post.extraction_note and f"{base}/p/wall" in report.posts_fallback
