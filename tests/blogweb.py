"""A local web of blogs that publish over (simulated) time, for the watch, backfill and worker tests.

Each blog runs on its own :class:`localserver.LocalServer` (its own host: robots.txt, sitemaps and the
politeness counters are per host) and shows what a real platform shows at the clock's current time:

* ``wordpress``: ``/feed/`` holds the newest 10 posts, ``/feed/?paged=N`` the older ones (404 past
  the last page, as WordPress answers), post URLs dated ``/2026/11/03/slug/``;
* ``sitemap``: the feed holds 10; ``robots.txt`` names a sitemap index that lists one sitemap per
  month, each with ``lastmod``; post URLs carry no date; ``?paged=`` is ignored (page 1 again);
* ``plain``: the feed holds 10, and nothing else lists older posts;
* ``archive``: like ``plain``, plus HTML archive pages ``/blog/page/N/`` listing 10 posts each with a
  ``<time datetime>`` (a source must name them in its registry ``discovery``).

A post page is 404 until the post is published. ``clock`` is any object with ``now()``.
"""

from __future__ import annotations

import hashlib
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

from localserver import LocalServer, Request, Route

from blogsift.models import Source

FEED_SIZE = 10

ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="{iso}"></head><body>
<nav><a href="/">Home</a> | <a href="/about/">About</a></nav>
<article><h1>{title}</h1><p class="date"><time datetime="{iso}">{day}</time></p>
{paras}</article><footer>© Example blog</footer></body></html>"""
PARA = ("<p>Post {n} of {blog}: we trained a ranking model on 40 million sessions and cut serving latency from "
        "120 ms to 35 ms on one GPU while keeping recall@20 at 0.93; the feature pipeline is refreshed hourly "
        "and every change is shadow-tested before it ships to all traffic.</p>")


@dataclass
class BlogPost:
    slug: str
    title: str
    published: datetime


def make_posts(blog: str, start: datetime, end: datetime, per_month: int = 60) -> list[BlogPost]:
    """Posts spread over [start, end) at ``per_month`` a month, at irregular (deterministic) times."""
    step = timedelta(days=30) / per_month
    posts, t, n = [], start, 0
    while t < end:
        jitter = int(hashlib.sha256(f"{blog}{n}".encode()).hexdigest()[:4], 16) / 65536  # 0..1
        when = t + step * (0.2 + 0.6 * jitter)
        if when < end:
            posts.append(BlogPost(f"post-{n:03d}", f"{blog} engineering note {n}", when.replace(microsecond=0)))
        t += step
        n += 1
    return posts


class Blog:
    def __init__(self, key: str, kind: str, posts: list[BlogPost], clock, *, retry_after: str | None = None):
        self.key, self.kind, self.posts, self.clock = key, kind, sorted(posts, key=lambda p: p.published), clock
        self.server = LocalServer()
        self.retry_after = retry_after

    # -- what the blog shows now ----------------------------------------------------------------
    def visible(self) -> list[BlogPost]:
        now = self.clock.now()
        return [p for p in reversed(self.posts) if p.published <= now]

    def path(self, post: BlogPost) -> str:
        if self.kind == "wordpress":
            return f"/{post.published:%Y/%m/%d}/{post.slug}/"
        return f"/blog/{post.slug}/"

    def url(self, post: BlogPost) -> str:
        return self.server.base_url + self.path(post)

    @property
    def home(self) -> str:
        return self.server.base_url + ("/" if self.kind == "wordpress" else "/blog/")

    def source(self, **discovery) -> Source:
        return Source(key=self.key, name=f"{self.key} blog", feed_url=self.server.url("/feed/"),
                      home_url=self.home, org="Example", lang="en", discovery=dict(discovery))

    # -- routes ---------------------------------------------------------------------------------
    def __call__(self, req: Request) -> Route:
        parts = urlsplit(req.path)
        path, query = parts.path, parse_qs(parts.query)
        if self.retry_after is not None and path == "/feed/":
            return Route(status=503, headers={"Retry-After": self.retry_after}, body="busy")
        if path == "/feed/":
            page = int((query.get("paged") or ["1"])[0]) if self.kind == "wordpress" else 1
            return self._feed(page, req.headers.get("if-none-match"))
        if path == "/robots.txt":
            if self.kind == "sitemap":
                return Route(body=f"User-agent: *\nAllow: /\nSitemap: {self.server.url('/sitemap_index.xml')}\n",
                             content_type="text/plain")
            return Route(body="User-agent: *\nAllow: /\n", content_type="text/plain")
        if self.kind == "archive" and path.startswith("/blog/page/"):
            return self._archive(int(path.strip("/").rsplit("/", 1)[-1]))
        if self.kind == "sitemap" and path == "/sitemap_index.xml":
            return self._sitemap_index()
        if self.kind == "sitemap" and path.startswith("/sitemap-posts-"):
            return self._sitemap(path[len("/sitemap-posts-"):-len(".xml")])
        for post in self.visible():
            if self.path(post) == path:
                return self._article(post)
        return Route(status=404, body="not found", content_type="text/plain")

    def _feed(self, page: int, if_none_match: str | None = None) -> Route:
        posts = self.visible()[(page - 1) * FEED_SIZE: page * FEED_SIZE]
        if page > 1 and not posts:
            return Route(status=404, body="no such page", content_type="text/plain")
        items = "".join(
            f"<item><title>{p.title}</title><link>{self.url(p)}</link><guid>{self.url(p)}</guid>"
            f"<pubDate>{format_datetime(p.published)}</pubDate><description>{p.title}.</description></item>"
            for p in posts)
        generator = "<generator>https://wordpress.org/?v=6.4</generator>" if self.kind == "wordpress" else ""
        body = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{self.key}</title>'
                f"<link>{self.home}</link>{generator}{items}</channel></rss>")
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        if if_none_match == etag:
            return Route(status=304, body=b"", headers={"ETag": etag})
        return Route(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    def _archive(self, page: int) -> Route:
        posts = self.visible()[(page - 1) * FEED_SIZE: page * FEED_SIZE]
        if not posts:
            return Route(status=404, body="no such page", content_type="text/plain")
        rows = "".join(f'<li><a href="{self.path(p)}">{p.title}</a> <time datetime="{p.published.isoformat()}">'
                       f"{p.published:%b %d}</time></li>" for p in posts)
        return Route(body=f'<html><body><nav><a href="/blog/">Blog</a> <a href="/blog/page/{page + 1}/">Older</a>'
                          f"</nav><ul>{rows}</ul></body></html>")

    def _months(self) -> list[str]:
        return sorted({f"{p.published:%Y-%m}" for p in self.visible()})

    def _sitemap_index(self) -> Route:
        rows = "".join(f"<sitemap><loc>{self.server.url(f'/sitemap-posts-{m}.xml')}</loc></sitemap>"
                       for m in self._months())
        return Route(body=f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
                          f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>',
                     content_type="application/xml")

    def _sitemap(self, month: str) -> Route:
        rows = "".join(f"<url><loc>{self.url(p)}</loc><lastmod>{p.published.isoformat()}</lastmod></url>"
                       for p in self.visible() if f"{p.published:%Y-%m}" == month)
        return Route(body=f'<?xml version="1.0" encoding="UTF-8"?><urlset '
                          f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>',
                     content_type="application/xml")

    def _article(self, post: BlogPost) -> Route:
        n = post.slug.rsplit("-", 1)[-1]
        return Route(body=ARTICLE.format(title=post.title, iso=post.published.isoformat(),
                                         day=f"{post.published:%B %d, %Y}",
                                         paras=PARA.format(n=n, blog=self.key) * 4))


@contextmanager
def blog_web(blogs: list[Blog]):
    """Serve each blog on its own local server (its own host) while the block runs."""
    with ExitStack() as stack:
        for blog in blogs:
            blog.server.routes = _CatchAll(blog)
            stack.enter_context(blog.server)
        yield blogs


class _CatchAll(dict):
    """A route table that sends every path to the blog."""

    def __init__(self, blog: Blog):
        super().__init__()
        self._blog = blog

    def get(self, key, default=None):
        return self._blog

    def values(self):
        return []


def month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)
