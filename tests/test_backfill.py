"""Backfilling a past period from sitemaps and paged feeds, against real local blogs and a real store;
hostile sitemaps and feeds are bounded and reported on the source while the other sources go on."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

from blogweb import Blog, blog_web, make_posts
from localserver import LocalServer, Route
from typer.testing import CliRunner

from blogsift.backfill import run_backfill
from blogsift.cli import app
from blogsift.coverage import period_coverage
from blogsift.models import Source
from blogsift.watch import SimulatedClock

NOV, DEC = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 20, tzinfo=UTC)


def _blogs(clock):
    return [Blog(kind, kind, make_posts(kind, datetime(2026, 9, 1, tzinfo=UTC), NOW), clock)
            for kind in ("wordpress", "sitemap", "plain")]


def _post_requests(blog):
    return {r.path for r in blog.server.requests if r.path.startswith(("/20", "/blog/post-"))}


def test_backfill_finds_every_post_of_the_period_and_none_outside(store, settings):
    clock = SimulatedClock(NOW)
    blogs = _blogs(clock)
    with blog_web(blogs):
        store.put_document("registry_seeded", "test")
        for b in blogs:
            store.upsert_source(b.source())
        results = {r.source: r for r in run_backfill(store, settings, NOV, DEC, now=NOW)}
        for blog in blogs[:2]:
            period = {blog.url(p) for p in blog.posts if NOV <= p.published < DEC}
            stored = {p.url for p in store.list_posts(source_key=blog.key)}
            assert len(period) == 60 and stored == period, blog.key
            # only the period's post pages were requested
            assert _post_requests(blog) == {blog.path(p) for p in blog.posts if NOV <= p.published < DEC}
            assert results[blog.key].complete
        assert results["wordpress"].methods == ["paged_feed"]
        assert results["sitemap"].methods == ["sitemap"]
        plain = results["plain"]
        assert not plain.complete and plain.new_posts == 0 and not _post_requests(blogs[2])
        assert any("may have holes" in p for p in plain.problems)
        verdicts = {v.source: v.complete for v in period_coverage(store, NOV, DEC, NOW)}
        assert verdicts == {"wordpress": True, "sitemap": True, "plain": False}
        # a second backfill fetches nothing again
        before = len(blogs[0].server.requests)
        again = run_backfill(store, settings, NOV, DEC, keys=["wordpress"], now=NOW)
        assert again[0].new_posts == 0
        assert not [r for r in blogs[0].server.requests[before:] if r.path.startswith("/20")]


def test_a_period_starting_and_ending_within_a_day_takes_exactly_its_posts(store, settings):
    # the gap a watcher backfills runs from one poll to a feed's oldest entry, at any time of day; post
    # URLs are dated to the day, the paged feed's entries to the second
    clock = SimulatedClock(NOW)
    blog = _blogs(clock)[0]
    since, until = datetime(2026, 11, 10, 9, 4, tzinfo=UTC), datetime(2026, 11, 14, 15, 30, tzinfo=UTC)
    with blog_web([blog]):
        store.put_document("registry_seeded", "test")
        store.upsert_source(blog.source())
        [result] = run_backfill(store, settings, since, until, now=NOW)
        period = [p for p in blog.posts if since <= p.published < until]
        assert {p.url for p in store.list_posts(source_key=blog.key)} == {blog.url(p) for p in period}
        # among them, posts of the first and last days: later (earlier) that day than the period's bounds
        assert {p.published.date() for p in period} >= {since.date(), until.date()}
        assert result.complete and _post_requests(blog) == {blog.path(p) for p in period}


def test_archive_pages_named_in_the_registry_give_the_period(store, settings):
    clock = SimulatedClock(NOW)
    blog = Blog("archive", "archive", make_posts("archive", datetime(2026, 9, 1, tzinfo=UTC), NOW), clock)
    with blog_web([blog]):
        store.upsert_source(blog.source(methods=["archive"], archive=blog.server.url("/blog/page/{n}/")))
        [result] = run_backfill(store, settings, NOV, DEC, now=NOW)
        period = {blog.url(p) for p in blog.posts if NOV <= p.published < DEC}
        assert result.complete and result.methods == ["archive"]
        assert {p.url for p in store.list_posts(source_key="archive")} == period
        assert _post_requests(blog) == {blog.path(p) for p in blog.posts if NOV <= p.published < DEC}


def test_backfill_command_reports_per_source(tmp_path, settings):
    clock = SimulatedClock(NOW)
    blogs = _blogs(clock)[1:]
    cfg = tmp_path / "blogsift.toml"
    cfg.write_text("[fetch]\nallow_private_addresses = true\nper_host_delay = 0.0\n")
    db = tmp_path / "b.db"
    with blog_web(blogs):
        from blogsift.store import Store
        with Store(f"sqlite:///{db}") as store:
            store.put_document("registry_seeded", "test")
            for b in blogs:
                store.upsert_source(b.source())
        result = CliRunner().invoke(app, ["--db", str(db), "--config", str(cfg), "backfill", "--since", "2026-11-01",
                                          "--until", "2026-11-30", "--source", "sitemap", "--source", "plain"])
    assert result.exit_code == 0, result.output
    assert "complete" in result.output and "may have holes" in result.output
    bad = CliRunner().invoke(app, ["--db", str(db), "--config", str(cfg), "backfill", "--since", "2026-11-01",
                                   "--until", "2026-11-30", "--source", "nope"])
    assert bad.exit_code == 1 and "no source with key 'nope'" in bad.output


URLSET = '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>'
INDEX = '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</sitemapindex>'


def _index(urls):
    return INDEX.format("".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls))


def _rss(base, n0, n=10, when=NOV + timedelta(days=3)):
    items = "".join(f"<item><title>p{i}</title><link>{base}/p/{i}</link><pubDate>"
                    f"{(when - timedelta(hours=i)):%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>"
                    for i in range(n0, n0 + n))
    return Route(body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>',
                 content_type="application/rss+xml")


def test_hostile_sitemaps_and_feeds_are_bounded_and_reported_while_the_rest_runs(store, settings):
    settings.backfill.max_sitemaps = 30
    settings.backfill.max_sitemap_bytes = 5_000_000
    settings.backfill.max_feed_pages = 6
    with LocalServer() as srv, LocalServer(host="127.0.0.2") as good_host:
        base = srv.base_url
        srv.routes.update({
            # an index of 50,000 indexes
            "/huge/index.xml": _index(f"{base}/huge/sub-{i}.xml" for i in range(50_000)),
            **{f"/huge/sub-{i}.xml": _index([f"{base}/huge/sub-{i}-x.xml"]) for i in range(40)},
            # gzip bombs: as Content-Encoding, and as a .gz file
            "/bomb/sitemap.xml": Route(body=b"<" + b" " * 30_000_000, gzip=True, content_type="application/xml"),
            "/bomb2/sitemap.xml.gz": Route(body=gzip.compress(b" " * 30_000_000), content_type="application/x-gzip"),
            # an index that lists itself and a child that lists it back
            "/cycle/index.xml": _index([f"{base}/cycle/index.xml", f"{base}/cycle/child.xml"]),
            "/cycle/child.xml": _index([f"{base}/cycle/index.xml"]),
            "/broken/sitemap.xml": Route(body='<?xml version="1.0"?><urlset><url><loc>http://x', content_type="application/xml"),
            # a paged feed that never ends, and one that repeats page 1
            "/endless/feed": lambda req: _rss(base, 10 * int((req.path.split("paged=") + ["1"])[1]), when=DEC),
            "/repeat/feed": lambda req: _rss(base, 0),
            "/p/1": "<html><body><p>x</p></body></html>",
        })
        good = Blog("good", "sitemap", make_posts("good", datetime(2026, 10, 1, tzinfo=UTC), NOW), SimulatedClock(NOW))
        good.server = good_host
        from blogweb import _CatchAll
        good_host.routes = _CatchAll(good)
        sources = [
            Source("huge", "huge", f"{base}/huge/feed", home_url=f"{base}/huge/",
                   discovery={"methods": ["sitemap"], "sitemap": f"{base}/huge/index.xml"}),
            Source("bomb", "bomb", f"{base}/bomb/feed", home_url=f"{base}/bomb/",
                   discovery={"methods": ["sitemap"], "sitemap": [f"{base}/bomb/sitemap.xml", f"{base}/bomb2/sitemap.xml.gz"]}),
            Source("cycle", "cycle", f"{base}/cycle/feed", home_url=f"{base}/cycle/",
                   discovery={"methods": ["sitemap"], "sitemap": f"{base}/cycle/index.xml"}),
            Source("broken", "broken", f"{base}/broken/feed", home_url=f"{base}/broken/",
                   discovery={"methods": ["sitemap"], "sitemap": f"{base}/broken/sitemap.xml"}),
            Source("endless", "endless", f"{base}/endless/feed", home_url=f"{base}/p/",
                   discovery={"methods": ["paged_feed"]}),
            Source("repeat", "repeat", f"{base}/repeat/feed", home_url=f"{base}/p/",
                   discovery={"methods": ["paged_feed"]}),
            good.source(),
        ]
        for s in sources:
            store.upsert_source(s)
        results = {r.source: r for r in run_backfill(store, settings, NOV, DEC, now=NOW)}
        problems = {k: " | ".join(r.problems) for k, r in results.items()}
        assert "were not read (backfill.max_sitemaps = 30)" in problems["huge"]
        assert len([r for r in srv.requests if r.path.startswith("/huge/")]) <= 31
        assert problems["bomb"].count("cap") == 2
        assert "a cycle" in problems["cycle"] and srv.hits["/cycle/index.xml"] == 1
        assert "malformed" in problems["broken"]
        assert "still going after 6 pages" in problems["endless"] and srv.hits.get("/endless/feed?paged=7") is None
        assert "repeats page 1" in problems["repeat"]
        assert all(not results[k].complete for k in ("huge", "bomb", "cycle", "broken", "endless", "repeat"))
        # reported on the source, for `status`
        assert any("cap" in p["what"] for p in store.watch_state("bomb")["problems"])
        # and the good source was backfilled all the same
        assert results["good"].complete
        assert len(store.list_posts(source_key="good")) == len([p for p in good.posts if NOV <= p.published < DEC])


def test_stored_posts_are_placed_by_their_own_dates_with_a_lookup_per_sitemap_not_per_url(store, settings):
    """A big blog's sitemap lists thousands of posts, most of them stored already: their stored dates
    place them (better than a lastmod), asked for in a few queries, not one per URL."""
    import sqlalchemy as sa

    from blogsift.models import Post

    n, stored = 3000, 1000
    with LocalServer() as srv:
        base = srv.base_url
        # every lastmod is after the period (the posts were edited in December) ...
        srv.routes["/big/sitemap.xml"] = Route(body=URLSET.format("".join(
            f"<url><loc>{base}/big/post-{i}</loc><lastmod>2026-12-10</lastmod></url>" for i in range(n))),
            content_type="application/xml")
        source = Source("big", "big", f"{base}/big/feed", home_url=f"{base}/big/",
                        discovery={"methods": ["sitemap"], "sitemap": f"{base}/big/sitemap.xml"})
        store.upsert_source(source)
        # ... but the first thousand are stored, published in November
        for i in range(stored):
            store.upsert_post(Post(url=f"{base}/big/post-{i}", title=f"post {i}", source_key="big",
                                   published=NOV + timedelta(hours=i % 600), text="x"))
        statements = []
        sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        [result] = run_backfill(store, settings, NOV, DEC, now=NOW)
    assert result.found == stored and result.new_posts == 0
    assert not [r for r in srv.requests if r.path.startswith("/big/post-")]   # nothing fetched again
    assert len(statements) < 30, f"{len(statements)} store statements for one sitemap of {n} URLs"
