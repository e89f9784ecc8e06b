"""A blog's sitemaps, read within bounds: every post URL it lists, with the best date known for it.

Documents come through blogsift's own :class:`~blogsift.fetch.Fetcher` (the same address checks,
robots.txt, politeness and size caps as every other request) and are parsed from strings by
``ultimate-sitemap-parser`` (``usp``), which reads XML url sets and indexes, plain-text, RSS and Atom
sitemaps, with its own hardening against XML entity tricks. We walk the indexes ourselves, because
usp's own walker fetches with ``requests`` (a second HTTP stack without our guards) and has no bound
on how many documents an index may make it fetch.

Bad input is bounded and reported, never fatal: an index of 50,000 indexes stops at
``max_documents``; a gzip bomb stops at ``max_bytes`` of inflated data; an index listing itself (or an
ancestor) is read once; nesting stops at ``max_depth``; a malformed document is skipped with the
parser's complaint; the whole scan stops at ``max_urls`` and at a deadline.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from .errors import FetchError
from .fetch import Fetcher, inflate_gzip_capped

__all__ = ["SitemapEntry", "SitemapLimits", "SitemapScan", "scan_sitemaps", "date_in_url", "robots_sitemaps",
           "default_sitemap_urls"]

#: where a site without a robots.txt ``Sitemap:`` line usually keeps its sitemap (WordPress core,
#: Yoast and most generators); each is one request that may be a 404
DEFAULT_SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml")

# /2022/11/03/slug, /2022/11/slug, /2022-11-03-slug, /20221103/…: a date in the path is the publication
# date on every blog platform that puts one there (hand-written: htmldate's URL helper is internal and
# also accepts years alone, which are too coarse to place a post in a period)
_URL_DATE = re.compile(r"(?<!\d)(20\d{2}|19\d{2})[/_-](0[1-9]|1[0-2])(?:[/_-](0[1-9]|[12]\d|3[01]))?(?!\d)")
_URL_DATE_COMPACT = re.compile(r"/(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=[/_-]|$)")


def date_in_url(url: str) -> tuple[datetime, bool] | None:
    """The date in a URL's path and whether it names the day (``False``: only the month is known)."""
    path = urlsplit(url).path
    m = _URL_DATE.search(path)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
        try:
            return datetime(year, month, int(day or 1), tzinfo=UTC), day is not None
        except ValueError:
            return None
    m = _URL_DATE_COMPACT.search(path)
    if m:
        try:
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC), True
        except ValueError:
            return None
    return None


@dataclass
class SitemapEntry:
    url: str
    lastmod: datetime | None = None
    published: datetime | None = None   # a news sitemap's publication date


@dataclass
class SitemapLimits:
    max_documents: int = 200
    max_urls: int = 200_000
    max_depth: int = 4
    max_bytes: int = 50_000_000
    deadline_s: float = 120.0

    @classmethod
    def from_settings(cls, backfill) -> SitemapLimits:
        return cls(max_documents=backfill.max_sitemaps, max_urls=backfill.max_sitemap_urls,
                   max_depth=backfill.max_sitemap_depth, max_bytes=backfill.max_sitemap_bytes,
                   deadline_s=backfill.deadline_s)


@dataclass
class SitemapScan:
    entries: list[SitemapEntry] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)   # sitemaps read
    problems: list[str] = field(default_factory=list)    # what was bounded, skipped or malformed
    truncated: bool = False                               # a bound stopped the scan: the list may be partial

    @property
    def found(self) -> bool:
        return bool(self.documents)


class _ParserComplaints(logging.Handler):
    """usp logs what it could not parse instead of raising; we keep it to report it on the source."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:300])


def _parse(text: str):
    from usp.tree import sitemap_from_str

    complaints = _ParserComplaints()
    logger = logging.getLogger("usp")
    logger.addHandler(complaints)
    previous, logger.propagate = logger.propagate, False  # usp is chatty; its complaints are reported
    try:
        return sitemap_from_str(text), complaints.messages
    finally:
        logger.removeHandler(complaints)
        logger.propagate = previous


_INDEX_ROOT = re.compile(rb"<(?:[A-Za-z0-9_]+:)?sitemapindex[\s>]", re.I)
_CHILD_END = re.compile(rb"</(?:[A-Za-z0-9_]+:)?sitemap\s*>", re.I)


def _bound_index(body: bytes, max_children: int) -> tuple[bytes, int]:
    """An index cut after its first ``max_children`` entries, and how many it lists. usp checks each
    child against a list of the ones before it, so a 50,000-child index costs it ~40 s of CPU; the
    children past the bound would not be read anyway."""
    if not _INDEX_ROOT.search(body[:4096]):
        return body, 0
    ends = _CHILD_END.finditer(body)
    count, cut = 0, None
    for m in ends:
        count += 1
        if count == max_children:
            cut = m.end()
    if cut is None or count <= max_children:
        return body, count
    return body[:cut] + b"</sitemapindex>", count


def _children_and_pages(parsed) -> tuple[list[str], list[SitemapEntry]]:
    from usp.objects.sitemap import AbstractIndexSitemap

    if isinstance(parsed, AbstractIndexSitemap):
        # parsed from a string, every child comes back unfetched (an InvalidSitemap carrying its URL)
        return [s.url for s in parsed.sub_sitemaps], []
    pages = []
    for p in parsed.pages:
        story = getattr(p, "news_story", None)
        pages.append(SitemapEntry(url=p.url, lastmod=_utc(p.last_modified),
                                  published=_utc(story.publish_date) if story is not None else None))
    return [], pages


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def robots_sitemaps(fetcher: Fetcher, origin: str, source: str | None) -> list[str]:
    """The ``Sitemap:`` lines of ``origin``'s robots.txt (empty when it has none or cannot be read)."""
    from urllib import robotparser

    from .fetch import decode_body

    try:
        result = await fetcher.get(origin.rstrip("/") + "/robots.txt", source=source, max_bytes=500 * 1024)
    except FetchError:
        return []
    rules = robotparser.RobotFileParser()
    rules.parse(decode_body(result.content, result.headers.get("content-type"))[0].splitlines())
    return list(dict.fromkeys(rules.site_maps() or []))


def default_sitemap_urls(home_url: str) -> list[str]:
    parts = urlsplit(home_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return [origin + p for p in DEFAULT_SITEMAP_PATHS]


async def scan_sitemaps(fetcher: Fetcher, start_urls: list[str], *, source: str | None, limits: SitemapLimits,
                        keep: Callable[[str], bool] = lambda url: True,
                        quiet_missing: bool = False) -> SitemapScan:
    """Read the sitemaps at ``start_urls`` and the ones their indexes list, breadth first, within
    ``limits``. Only page URLs for which ``keep(url)`` is true are returned. ``quiet_missing``: a
    start URL that is a 404 is a guess that missed, not a problem worth reporting."""
    scan = SitemapScan()
    deadline = time.monotonic() + limits.deadline_s
    seen: set[str] = set()
    urls_seen: set[str] = set()
    queue: deque[tuple[str, int]] = deque((u, 0) for u in dict.fromkeys(start_urls))
    skipped_children = 0
    while queue:
        url, depth = queue.popleft()
        key = url.split("#", 1)[0]
        if key in seen:
            scan.problems.append(f"sitemap {url} is listed again by an index (a cycle); read once")
            continue
        seen.add(key)
        if len(scan.documents) >= limits.max_documents:
            skipped_children = len(queue) + 1
            scan.truncated = True
            break
        if time.monotonic() > deadline:
            scan.truncated = True
            scan.problems.append(f"sitemap scan stopped after {limits.deadline_s:g} s; "
                                 f"{len(queue) + 1} sitemaps not read")
            break
        try:
            result = await fetcher.get(url, source=source, max_bytes=limits.max_bytes)
            body = result.content
            if body[:2] == b"\x1f\x8b":  # a .xml.gz file served as is (no Content-Encoding)
                body = inflate_gzip_capped(body, limits.max_bytes, url=url, source=source)
        except FetchError as exc:
            status = getattr(exc, "status", None)
            if not (quiet_missing and depth == 0 and status in (404, 410)):
                scan.problems.append(f"sitemap {url}: {exc}")
            continue
        body, listed = _bound_index(body, max(1, limits.max_documents - len(scan.documents)))
        if listed > limits.max_documents:
            scan.truncated = True
            scan.problems.append(f"sitemap index {url} lists {listed:,} sitemaps; only the first ones are read "
                                 f"(backfill.max_sitemaps = {limits.max_documents})")
        text = body.decode("utf-8", "replace")
        parsed, complaints = await asyncio.to_thread(_parse, text)
        children, pages = _children_and_pages(parsed)
        if not children and not pages:
            why = "; ".join(dict.fromkeys(complaints)) or "no URLs in it"
            if not (quiet_missing and depth == 0 and not text.lstrip().startswith("<")):
                scan.problems.append(f"sitemap {url} is malformed or empty ({why[:300]})")
            continue
        scan.documents.append(url)
        if children:
            if depth + 1 > limits.max_depth:
                scan.truncated = True
                scan.problems.append(f"sitemap index {url} is nested deeper than {limits.max_depth} levels; "
                                     f"{len(children)} sitemaps under it not read")
                continue
            for child in children:
                if child.split("#", 1)[0] in seen:
                    scan.problems.append(f"sitemap index {url} lists {child}, already read (a cycle); "
                                         f"read once")
                    continue
                queue.append((child, depth + 1))
        for entry in pages:
            if entry.url in urls_seen or not keep(entry.url):
                continue
            if len(urls_seen) >= limits.max_urls:
                scan.truncated = True
                scan.problems.append(f"sitemaps list more than {limits.max_urls:,} URLs of this source; "
                                     f"the rest not read")
                queue.clear()
                break
            urls_seen.add(entry.url)
            scan.entries.append(entry)
    if skipped_children:
        scan.problems.append(f"{skipped_children:,} more sitemaps listed by the indexes were not read "
                             f"(backfill.max_sitemaps = {limits.max_documents})")
    return scan
