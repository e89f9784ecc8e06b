"""RSS/Atom feeds (feedparser) into :class:`FeedItem` records, keeping what can be read.

feedparser is lenient: a malformed feed (``bozo``) still yields the entries it could read, and we keep
them with a warning. Only a response with nothing usable is a :class:`FeedError`: empty, an HTML page
instead of a feed, or unparseable with no entries. feedparser also sanitizes entry HTML (no
``<script>``, no ``javascript:`` links) and resolves relative links against the feed URL.

XML entity expansion ("billion laughs"): Python's expat (>= 2.4) refuses amplified entity expansion,
and feedparser's fallback parser only expands simple entities from the DOCTYPE, so a bomb costs a
fraction of a second and yields a bozo warning; the fetch size cap bounds the input.
"""

from __future__ import annotations

import html as html_module
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html
from lxml_html_clean import Cleaner

from .errors import FeedError
from .models import FeedItem

__all__ = ["FeedParseResult", "parse_feed", "clean_text", "http_url", "sanitize_html", "TITLE_MAX_CHARS"]

#: longest title kept; real titles are < 200 chars, longer ones are junk or an attack
TITLE_MAX_CHARS = 500
AUTHOR_MAX_CHARS = 200
#: a title is cut to this many characters *before* its markup is stripped, so a 10 MB title costs
#: no more than a normal one (markup in a real title is a few tags)
_RAW_TITLE_SCAN_CHARS = 20_000
#: C0/C1 controls, zero-width and bidirectional-override characters (they can reorder or hide text in
#: whatever shows the title), BOM, lone surrogates; tabs and newlines become spaces
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u200b-\u200f\u202a-\u202e\u2060-\u2069"
                        "\ufeff\ufff9-\ufffb\ud800-\udfff]")
_INVISIBLE_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # lxml refuses them
_SPACES = re.compile(r"\s+")
_TAG_LIKE = re.compile(r"<[A-Za-z!/?]")
_TAG_START = re.compile(r"<(?=[A-Za-z!/?])")
_SCRIPT_SCHEME = re.compile(r"(javascript|vbscript|livescript)\s*:", re.I)
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/xml",
               "text/xml")


@dataclass
class FeedParseResult:
    items: list[FeedItem]
    warnings: list[str] = field(default_factory=list)
    title: str = ""
    link: str = ""


def clean_text(value: str | None, max_chars: int = TITLE_MAX_CHARS, *, markup: bool = True) -> str:
    """One line of plain text: tags (and script/style content) removed when ``markup`` or when the
    text still contains anything tag-like, entities decoded, invisible and control characters dropped,
    whitespace collapsed, capped with an ellipsis. A literal ``<script>`` never survives."""
    if not value:
        return ""
    value = _INVISIBLE.sub("", value[: max(_RAW_TITLE_SCAN_CHARS, max_chars * 4)])
    if markup and ("<" in value or "&" in value):
        value = _html_to_text(value)
    # plain text that still carries tags (an RSS title with escaped markup, entities decoded into new
    # tags) is treated as HTML again: a "<script>" in a title must not reach a Markdown digest
    for _ in range(3):
        if not _TAG_LIKE.search(value):
            break
        value = _html_to_text(value)
    value = _INVISIBLE.sub("", value)  # again: entities such as &#1; decode into them
    value = _TAG_START.sub("", value)  # whatever is tag-like after three rounds loses its "<"
    value = _SCRIPT_SCHEME.sub(r"\1", value)  # "javascript:" in a title is text, never a link
    value = _SPACES.sub(" ", value).strip()
    if len(value) > max_chars:
        value = value[: max_chars - 1].rstrip() + "…"
    return value


def _html_to_text(fragment: str) -> str:
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return html_module.unescape(re.sub(r"<[^>]*>", " ", fragment))
    lxml.etree.strip_elements(root, "script", "style", "noscript", "template", with_tail=False)
    return root.text_content()


# lxml_html_clean removes scripts, event handlers, javascript: links, frames, embeds, forms and styles;
# feedparser sanitizes too, but not on every path through a broken feed, so entry HTML goes through both
_CLEANER = Cleaner(scripts=True, javascript=True, comments=True, style=True, inline_style=True, links=True,
                   meta=True, page_structure=False, processing_instructions=True, embedded=True, frames=True,
                   forms=True, annoying_tags=True, remove_unknown_tags=False, safe_attrs_only=True,
                   add_nofollow=False)
_URL_ATTRS = ("href", "src", "action", "formaction", "poster", "background", "cite", "longdesc", "usemap",
              "data", "xlink:href")


def sanitize_html(fragment: str, base: str = "") -> str:
    """``fragment`` as HTML that runs nothing: no script/style/frames/forms/event handlers, and every
    link or image URL absolute http(s) (any other is removed)."""
    if not fragment or not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(_INVISIBLE_XML.sub("", fragment), create_parent="div")
        _CLEANER(root)
    except (lxml.etree.ParserError, ValueError):
        return html_module.escape(clean_text(fragment, len(fragment)))
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in [n for n in el.attrib if n.lower() in _URL_ATTRS or n.lower() == "srcset"]:
            absolute = http_url(el.attrib[name], base) if name.lower() != "srcset" else None
            if absolute:
                el.attrib[name] = absolute
            else:
                del el.attrib[name]
    inner = (html_module.escape(root.text or "")
             + "".join(lxml.html.tostring(child, encoding="unicode") for child in root))
    return inner.strip()


def http_url(value: str | None, base: str = "") -> str | None:
    """``value`` made absolute against ``base`` if it is an http(s) URL with a host, else None."""
    if not value:
        return None
    value = _INVISIBLE.sub("", value).strip()
    try:
        absolute = urljoin(base, value) if base else value
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def _scheme_of(value: str) -> str:
    m = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]{0,20}):", value or "")
    return f"'{m.group(1).lower()}'" if m else "no usable"


def _utc(parsed) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime(*tuple(parsed)[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _entry_html(entry, key: str) -> str:
    if key == "content":
        parts = entry.get("content") or []
        for part in parts:  # the HTML flavour first: it is the full post on many blogs
            if "html" in (part.get("type") or "") and part.get("value"):
                return part["value"]
        return next((html_module.escape(p["value"]) for p in parts if p.get("value")), "")
    detail = entry.get("summary_detail") or {}
    value = entry.get("summary") or ""
    return value if "html" in (detail.get("type") or "text/html") else html_module.escape(value)


def _alternate_feed(parsed, base: str) -> str | None:
    for link in (parsed.get("feed") or {}).get("links") or []:
        if link.get("rel") == "alternate" and (link.get("type") or "") in _FEED_TYPES:
            return http_url(link.get("href"), base)
    return None


def _looks_like_html(content: bytes, headers: dict[str, str]) -> bool:
    ctype = (headers.get("content-type") or "").lower()
    head = content[:2048].lstrip().lower()
    return "html" in ctype or head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]


def parse_feed(content: bytes, url: str, source: str | None = None,
               headers: dict[str, str] | None = None) -> FeedParseResult:
    """Parse a feed body fetched from ``url``. Entries without an http(s) link are dropped with a
    warning; entries repeating a link or guid are collapsed into the first."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if not content or not content.strip():
        raise FeedError("empty response: the feed URL returned no content", url=url, source=source)
    # content-location: the base for relative links; a neutral content type when the server sent
    # none (feedparser flags a missing one as malformed, and application/xml defers to <?xml encoding?>)
    response_headers = {"content-location": url, "content-type": "application/xml", **headers}
    try:
        parsed = feedparser.parse(content, response_headers=response_headers)
    except Exception as exc:  # noqa: BLE001 — hostile input must become a FeedError, never a crash
        raise FeedError(f"feed cannot be parsed ({type(exc).__name__}: {exc})", url=url, source=source) from exc
    entries = parsed.get("entries") or []
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not entries:
        if not parsed.get("version") and _looks_like_html(content, headers):
            alt = _alternate_feed(parsed, url)
            hint = f"; the page announces a feed at {alt}" if alt else ""
            raise FeedError(f"not a feed (got an HTML page){hint}", url=url, source=source)
        if bozo is not None:
            raise FeedError(f"not a readable feed: {_describe(bozo)}", url=url, source=source)
    warnings: list[str] = []
    if bozo is not None:
        warnings.append(f"feed is malformed ({_describe(bozo)}); kept the {len(entries)} entries that could be read")
    if not entries:
        warnings.append("feed has no entries")
    feed = parsed.get("feed") or {}
    items: list[FeedItem] = []
    seen: set[str] = set()
    duplicates = 0
    for entry in entries:
        title_type = (entry.get("title_detail") or {}).get("type") or "text/html"
        title = clean_text(entry.get("title"), markup="html" in title_type)
        guid = (entry.get("id") or "").strip() or None
        raw_link = entry.get("link") or ""
        if not raw_link and guid and entry.get("guidislink", True):
            raw_link = guid
        link = http_url(raw_link, url)
        if link is None:
            what = f"entry '{title[:80]}'" if title else "an untitled entry"
            warnings.append(f"{what} skipped: its link has {_scheme_of(raw_link)} scheme, not http(s)"
                            if raw_link else f"{what} skipped: it has no link")
            continue
        keys = {link.split("#", 1)[0].rstrip("/")} | ({guid} if guid else set())
        if keys & seen:
            duplicates += 1
            continue
        seen |= keys
        items.append(FeedItem(
            url=link,
            title=title,
            # dict.get: FeedParserDict.get maps a missing updated_parsed to published_parsed, with a warning
            published=_utc(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
                           or dict.get(entry, "created_parsed")),
            author=clean_text(entry.get("author"), AUTHOR_MAX_CHARS) or None,
            guid=guid[:2000] if guid else None,
            summary_html=sanitize_html(_entry_html(entry, "summary"), link),
            content_html=sanitize_html(_entry_html(entry, "content"), link),
        ))
    if duplicates:
        warnings.append(f"{duplicates} duplicate entr{'y' if duplicates == 1 else 'ies'} (same link or guid) collapsed")
    return FeedParseResult(items=items, warnings=warnings,
                           title=clean_text(feed.get("title"),
                                            markup="html" in ((feed.get("title_detail") or {}).get("type") or "html")),
                           link=http_url(feed.get("link"), url) or "")


def _describe(exc: BaseException) -> str:
    """feedparser's complaint in words: ``line 12, column 2: mismatched tag``."""
    try:  # xml.sax.SAXParseException knows where; its str() starts with "<unknown>:"
        line, column = exc.getLineNumber(), exc.getColumnNumber()  # type: ignore[attr-defined]
        text = f"line {line}, column {column}: {exc.getMessage()}"  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        text = str(exc) or type(exc).__name__
    return clean_text(text, 200, markup=False)
