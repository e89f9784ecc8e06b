"""Finding a source's posts of a past period, which its feed no longer lists.

Three ways, each said per source in the registry's ``discovery`` table (defaults in code):

* ``sitemap``: the blog's sitemaps (robots.txt ``Sitemap:`` lines, else ``/sitemap.xml`` and
  ``/sitemap_index.xml``, or the URLs the registry gives), read by ``sitemaps.py``. A URL is placed in
  the period by the date in its path, else a news sitemap's publication date, else ``lastmod`` (a post
  modified before the period was published before it; one modified after it may or may not be in it);
* ``paged_feed``: the feed's older pages (WordPress serves ``?paged=2``, ``3``, …), walked back until
  an entry is older than the period; a page that repeats an earlier one, or pages that never end, stop
  the walk and are reported;
* ``archive``: HTML listing pages with a ``{n}`` page number (``https://blog/page/{n}/``), the post
  links dated by their URL or by a ``<time datetime>`` next to them.

With no ``methods`` given the sitemap and the paged feed are tried (an archive needs its URL). Only
URLs inside the period are returned; what could not be placed or read is reported, and a method that
listed the period completely says so (the period's coverage is then complete).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from .errors import FeedError, FetchError, SourceError
from .models import FeedItem, Source
from .sitemaps import (SitemapLimits, date_in_url, default_sitemap_urls, robots_sitemaps, scan_sitemaps)

if TYPE_CHECKING:
    from .config import Settings
    from .fetch import Fetcher

__all__ = ["DISCOVERY_METHODS", "DiscoveryConfig", "Found", "MethodResult", "discovery_config", "discover"]

DISCOVERY_METHODS = ("sitemap", "paged_feed", "archive")
_KEYS = {"methods", "sitemap", "paged_feed", "archive", "post_url_pattern"}
#: paths that list posts rather than being one (WordPress, Ghost, Medium, Hugo conventions); the
#: registry's ``post_url_pattern`` replaces this guess for a source that needs better
_NOT_A_POST = re.compile(r"/(tag|tags|category|categories|author|authors|page|topics?|series|archive|archives|"
                         r"search|feed|wp-content|wp-json|amp)(/|$)|\.(xml|rss|atom|json|jpe?g|png|gif|svg|webp|"
                         r"pdf|zip|css|js)$", re.I)


@dataclass
class DiscoveryConfig:
    methods: tuple[str, ...]
    explicit: bool                     # the registry named the methods (their failure is a problem)
    sitemaps: list[str]
    paged_feed: str | None             # URL template with {n}
    archive: str | None                # URL template with {n}
    post_url_pattern: re.Pattern | None


def discovery_config(source: Source) -> DiscoveryConfig:
    """The source's discovery settings with the defaults filled in; a bad value is a SourceError."""
    d = dict(source.discovery or {})
    unknown = set(d) - _KEYS
    if unknown:
        raise SourceError(f"discovery has unknown keys {sorted(unknown)} (known: {sorted(_KEYS)})", source=source.key)
    methods = d.get("methods")
    explicit = methods is not None
    if methods is None:
        methods = ["sitemap", "paged_feed"] + (["archive"] if d.get("archive") else [])
    if isinstance(methods, str):
        methods = [methods]
    bad = [m for m in methods if m not in DISCOVERY_METHODS]
    if bad:
        raise SourceError(f"discovery methods {bad} unknown (known: {', '.join(DISCOVERY_METHODS)})", source=source.key)
    sitemaps = d.get("sitemap") or []
    sitemaps = [sitemaps] if isinstance(sitemaps, str) else list(sitemaps)
    paged = d.get("paged_feed")
    if paged is True or paged is None:
        sep = "&" if "?" in source.feed_url else "?"
        paged = f"{source.feed_url}{sep}paged={{n}}"
    elif paged is False:
        paged, methods = None, [m for m in methods if m != "paged_feed"]
    archive = d.get("archive")
    for name, template in (("paged_feed", paged), ("archive", archive)):
        if template is not None and "{n}" not in str(template):
            raise SourceError(f"discovery.{name} must contain {{n}} for the page number", source=source.key)
    if "archive" in methods and not archive:
        raise SourceError("discovery method 'archive' needs discovery.archive (a URL with {n})", source=source.key)
    pattern = None
    if d.get("post_url_pattern"):
        try:
            pattern = re.compile(str(d["post_url_pattern"]))
        except re.error as exc:
            raise SourceError(f"discovery.post_url_pattern is not a regular expression: {exc}",
                              source=source.key) from exc
    return DiscoveryConfig(tuple(methods), explicit, sitemaps, paged, archive, pattern)


@dataclass
class Found:
    """A post URL of the period, with its feed entry when a paged feed gave one."""

    url: str
    published: datetime | None
    how: str
    item: FeedItem | None = None

    def feed_item(self) -> FeedItem:
        return self.item or FeedItem(url=self.url, title="", published=self.published)


@dataclass
class MethodResult:
    method: str
    available: bool = False            # the method works for this source
    complete: bool = False             # it listed the whole period: nothing of it can be missing
    found: list[Found] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)    # what was looked at (not a problem)


class _Scope:
    """Which URLs are this source's posts: its blog's host and path (the registry pattern if given)."""

    def __init__(self, source: Source, cfg: DiscoveryConfig):
        home = urlsplit(source.home_url or source.feed_url)
        self.host = (home.hostname or "").lower()
        path = home.path if source.home_url else ""
        self.prefix = path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"
        self.home = (source.home_url or "").rstrip("/")
        self.pattern = cfg.post_url_pattern

    def __call__(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        if (parts.hostname or "").lower() != self.host or url.rstrip("/") == self.home:
            return False
        if self.pattern is not None:
            return self.pattern.search(url) is not None
        return parts.path.startswith(self.prefix) and parts.path.rstrip("/") != self.prefix.rstrip("/") \
            and not _NOT_A_POST.search(parts.path)


#: ``await known(urls)``: the publication dates, by URL, of those of ``urls`` already stored
StoredDates = Callable[[list[str]], Awaitable[dict[str, datetime]]]


class _Period:
    def __init__(self, since: datetime, until: datetime, known: StoredDates | None):
        self.since, self.until, self._known = since, until, known
        self._stored: dict[str, datetime] = {}

    async def learn(self, urls: list[str]) -> None:
        """The stored dates of ``urls``, asked for in one call before they are placed: a sitemap lists
        thousands of URLs, and a lookup per URL would cost a database round trip each."""
        if self._known is not None and urls:
            self._stored.update(await self._known(urls))

    def place(self, url: str, published: datetime | None, lastmod: datetime | None) -> tuple[str, datetime | None]:
        """``"in" | "before" | "after" | "undated"`` and the date used (after :meth:`learn`)."""
        stored = self._stored.get(url)
        if stored is not None:  # a post already stored has its page's own date
            return self._where(stored), stored
        if published is not None:  # a feed entry's date, to the second
            return self._where(published), published
        dated = date_in_url(url)
        if dated is not None:
            # a URL dates a post to its day or month: in if that day or month overlaps the period (a
            # post of the period's first day may be later that day than the period's start)
            day, exact = dated
            end = day + timedelta(days=1) if exact else (day.replace(day=28) + timedelta(days=4)).replace(day=1)
            if end <= self.since:
                return "before", day
            return ("after", day) if day >= self.until else ("in", day if exact else None)
        if lastmod is not None:
            # published ≤ lastmod: a post modified before the period was published before it; one
            # modified after it is taken to be published after it (counted and said in the notes)
            return ("before" if lastmod < self.since else "in" if lastmod < self.until else "after"), lastmod
        return "undated", None

    def _where(self, when: datetime) -> str:
        return "before" if when < self.since else ("after" if when >= self.until else "in")


async def discover(fetcher: Fetcher, source: Source, since: datetime, until: datetime, settings: Settings,
                   known: StoredDates | None = None) -> list[MethodResult]:
    """Every configured method's finds for ``[since, until)``, in the registry's order. ``known``: the
    publication dates of posts already stored (they place a URL better than a ``lastmod``)."""
    cfg = discovery_config(source)
    scope, period = _Scope(source, cfg), _Period(since, until, known)
    out = []
    for method in cfg.methods:
        if method == "sitemap":
            out.append(await _by_sitemap(fetcher, source, cfg, scope, period, settings))
        elif method == "paged_feed" and cfg.paged_feed:
            out.append(await _by_paged_feed(fetcher, source, cfg, period, settings))
        elif method == "archive" and cfg.archive:
            out.append(await _by_archive(fetcher, source, cfg, scope, period, settings))
    return out


async def _by_sitemap(fetcher, source, cfg, scope, period, settings) -> MethodResult:
    result = MethodResult("sitemap")
    starts = list(cfg.sitemaps)
    guessed = not starts
    if guessed:
        home = urlsplit(source.home_url or source.feed_url)
        starts = await robots_sitemaps(fetcher, f"{home.scheme}://{home.netloc}", source.key)
        if starts:
            result.notes.append(f"robots.txt lists {len(starts)} sitemap(s)")
            guessed = False
        else:
            starts = default_sitemap_urls(source.home_url or source.feed_url)
    scan = await scan_sitemaps(fetcher, starts, source=source.key, limits=SitemapLimits.from_settings(settings.backfill),
                               keep=scope, quiet_missing=guessed and not cfg.explicit)
    result.problems += scan.problems
    if not scan.found:
        if cfg.explicit or not guessed:
            result.problems.append(f"no readable sitemap at {', '.join(starts)}")
        else:
            result.notes.append(f"no sitemap at {', '.join(starts)}")
        return result
    if not scan.entries:
        result.notes.append(f"{len(scan.documents)} sitemap(s), none listing a post of this source")
        return result
    result.available = True
    counts = {"before": 0, "after": 0, "undated": 0}
    await period.learn([entry.url for entry in scan.entries])
    for entry in scan.entries:
        where, _ = period.place(entry.url, entry.published, entry.lastmod)
        if where == "in":
            result.found.append(Found(entry.url, _published_hint(entry.url, entry.published), "sitemap"))
        else:
            counts[where] += 1
    result.notes.append(f"{len(scan.documents)} sitemap(s), {len(scan.entries)} post URLs: {len(result.found)} "
                        f"in the period, {counts['before']} before, {counts['after']} after (by URL date, "
                        f"stored date or lastmod)")
    if counts["undated"]:
        result.problems.append(f"{counts['undated']} URLs have neither lastmod nor a date in the URL: not fetched")
    result.complete = not scan.truncated and not counts["undated"]
    return result


def _published_hint(url: str, published: datetime | None) -> datetime | None:
    dated = date_in_url(url)
    if dated is not None and dated[1]:
        return dated[0]
    return published


async def _by_paged_feed(fetcher, source, cfg, period, settings) -> MethodResult:
    from .feeds import parse_feed

    result = MethodResult("paged_feed")
    limits = settings.backfill
    deadline = time.monotonic() + limits.deadline_s
    seen: set[str] = set()
    pages: list[frozenset[str]] = []
    page_no = 1
    while True:
        url = source.feed_url if page_no == 1 else cfg.paged_feed.format(n=page_no)
        if page_no > limits.max_feed_pages or time.monotonic() > deadline:
            why = f"{limits.max_feed_pages} pages (backfill.max_feed_pages)" if page_no > limits.max_feed_pages \
                else f"{limits.deadline_s:g} s (backfill.deadline_s)"
            result.problems.append(f"paged feed still going after {why}: stopped (a feed that never ends?)")
            return result
        try:
            fetched = await fetcher.get(url, source=source.key)
            parsed = parse_feed(fetched.content, fetched.final_url, source=source.key, headers=fetched.headers)
        except (FetchError, FeedError) as exc:
            status = getattr(exc, "status", None)
            if page_no > 1 and status in (404, 410):  # past the last page: the whole feed was read
                result.complete = True
                result.notes.append(f"paged feed ends after page {page_no - 1}")
                return result
            if page_no == 2 and not cfg.explicit:
                result.notes.append(f"no paged feed ({exc})")
            else:
                result.problems.append(f"paged feed page {page_no}: {exc}")
            return result
        urls = frozenset(it.url for it in parsed.items)
        if not urls:
            result.complete = page_no > 1
            result.available = result.available or page_no > 1
            result.notes.append(f"paged feed ends after page {page_no - 1}")
            return result
        if urls in pages or urls <= seen:
            first = pages.index(urls) + 1 if urls in pages else None
            what = f"repeats page {first}" if first else "lists only entries of earlier pages"
            if page_no == 2 and not cfg.explicit:
                result.notes.append(f"no paged feed: {url} {what}")
            else:
                result.problems.append(f"paged feed page {page_no} {what}: stopped")
            return result
        if page_no == 2:
            result.available = True
        pages.append(urls)
        oldest = None
        await period.learn([it.url for it in parsed.items])
        for it in parsed.items:
            if it.url in seen:
                continue
            seen.add(it.url)
            if it.published is not None:
                oldest = it.published if oldest is None else min(oldest, it.published)
            where, _ = period.place(it.url, it.published, None)
            if where == "in":
                result.found.append(Found(it.url, it.published, f"paged feed p{page_no}", it))
        if oldest is not None and oldest < period.since:
            result.complete = result.available or page_no == 1
            result.notes.append(f"paged feed reached {oldest:%Y-%m-%d} on page {page_no}")
            return result
        page_no += 1


_DATETIME_ATTR = re.compile(r"^\d{4}-\d{2}-\d{2}")


async def _by_archive(fetcher, source, cfg, scope, period, settings) -> MethodResult:
    import lxml.html

    from .fetch import decode_body

    result = MethodResult("archive")
    limits = settings.backfill
    deadline = time.monotonic() + limits.deadline_s
    seen: set[str] = set()
    undated = 0
    for page_no in range(1, limits.max_feed_pages + 1):
        if time.monotonic() > deadline:
            result.problems.append(f"archive still going after {limits.deadline_s:g} s: stopped")
            return result
        url = cfg.archive.format(n=page_no)
        try:
            fetched = await fetcher.get(url, source=source.key)
        except FetchError as exc:
            if page_no > 1 and getattr(exc, "status", None) in (404, 410):
                result.complete = undated == 0
                result.notes.append(f"archive ends after page {page_no - 1}")
                return result
            result.problems.append(f"archive page {page_no}: {exc}")
            return result
        try:
            root = lxml.html.fromstring(decode_body(fetched.content, fetched.headers.get("content-type"))[0])
        except (ValueError, lxml.etree.ParserError) as exc:
            result.problems.append(f"archive page {page_no} is not HTML: {exc}")
            return result
        links: list[tuple[str, datetime | None]] = []
        for a in root.iter("a"):
            href = urljoin(fetched.final_url, a.get("href") or "").split("#", 1)[0]
            if not href or href in seen or not scope(href):
                continue
            seen.add(href)
            links.append((href, _archive_date(a)))
        new_links = len(links)
        oldest = None
        await period.learn([href for href, _ in links])
        for href, when in links:
            where, placed = period.place(href, when, None)
            if placed is not None:
                oldest = placed if oldest is None else min(oldest, placed)
            if where == "in":
                result.found.append(Found(href, _published_hint(href, when), f"archive p{page_no}"))
            elif where == "undated":
                undated += 1
        result.available = True
        if not new_links:
            result.complete = undated == 0
            result.notes.append(f"archive ends after page {page_no - 1} (no new links)")
            return result
        if oldest is not None and oldest < period.since:
            result.complete = undated == 0
            result.notes.append(f"archive reached {oldest:%Y-%m-%d} on page {page_no}")
            break
    else:
        result.problems.append(f"archive still going after {limits.max_feed_pages} pages: stopped")
    if undated:
        result.problems.append(f"{undated} archive links carry no date: not fetched")
    return result


def _archive_date(a) -> datetime | None:
    """The ``<time datetime>`` in the link or in the list item / article around it."""
    node = a
    for _ in range(4):
        if node is None:
            break
        for t in node.iter("time"):
            value = (t.get("datetime") or "").strip()
            if not _DATETIME_ATTR.match(value):
                continue
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        node = node.getparent()
    return None
