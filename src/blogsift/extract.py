"""The article of a post page (trafilatura), falling back to the feed's own content.

``extract_post`` always returns a :class:`Post` for a post the feed listed: the page's article when the
extraction is long enough to be one (``extraction="page"``), else the feed's content
(``extraction="feed"``), else the title alone (``extraction="title-only"``); ``extraction_note`` says
why a fallback happened. HTML that is not an article (a login wall, an index of teasers, a page of
links) takes the fallback path too. Only http(s) links and images are kept, made absolute; the
article HTML in ``post.html`` is rebuilt from trafilatura's output (no script, no event handlers) and
starts with the page's ``<link rel="canonical">`` when it has one (see :func:`canonical_url_of`).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.htmlprocessing import convert_to_html

from .errors import ExtractError
from .feeds import clean_text, http_url, sanitize_html
from .figures import find_figures
from .fetch import decode_body
from .models import FeedItem, Post, Source

__all__ = ["extract_post", "canonical_url_of", "html_to_text", "detect_lang", "hangul_ratio"]

#: share of Hangul among the letters from which a title or text is Korean. Mixed titles ("LLM 서빙
#: 최적화 with vLLM") sit at 0.4-0.8; English text quoting a Korean name stays under 0.05. Language
#: detectors trained on whole sentences misjudge such short mixed strings, a ratio does not.
HANGUL_MIN_RATIO = 0.3
#: a Korean source's post with at least this many letters and (almost) no Hangul is written in English
EN_ON_KO_SOURCE_MIN_LETTERS = 200
EN_ON_KO_SOURCE_MAX_HANGUL = 0.02
LANG_SAMPLE_CHARS = 3000
#: text inside links / all text above which a page is a list of links, not an article
LINK_DENSITY_MAX = 0.6
#: an index page shows several teasers of similar size; a post page's own <article> dominates any
#: "related posts" cards, so a page is an index when it has this many <article>s and none holds
#: INDEX_DOMINANT_SHARE of their text
INDEX_MIN_ARTICLES = 3
INDEX_DOMINANT_SHARE = 0.6
#: a login wall: a password field and less text than this many times min_chars
LOGIN_WALL_TEXT_FACTOR = 3
MAX_LINKS = 500
MAX_IMAGES = 100
JSON_LD_MAX_CHARS = 200_000
AUTHOR_MAX_CHARS = 200

_BLOCK_TAGS = ("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
               "table", "tr", "section", "article", "figure", "figcaption", "hr", "dd", "dt")
_ACTIVE_TAG = re.compile(r"<(?=\s*/?\s*(?:script|iframe|object|embed|style|svg|math|form|meta|link|base)\b)",
                         re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_AUTHOR_META = ("author", "article:author", "og:article:author", "dc.creator", "byl", "parsely-author")
_DATE_META = ("article:published_time", "og:article:published_time", "datePublished", "date",
              "dc.date", "pubdate")


@dataclass
class _Page:
    text: str = ""
    title: str = ""
    author: str | None = None
    published: datetime | None = None
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    html: str = ""
    not_article: str = ""          # why the page is not an article, when it is not


def extract_post(html: str | bytes, url: str, feed_item: FeedItem | None, source: Source, min_chars: int,
                 *, content_type: str | None = None) -> Post:
    """The post at ``url`` from its page ``html`` (bytes are decoded with ``content_type``'s charset,
    then ``<meta charset>``, then UTF-8). With a ``feed_item`` it always returns a post (at worst
    ``title-only``); without one it raises :class:`ExtractError` when the page has no text and no title."""
    failure = ""
    page: _Page | None = None
    try:
        page = _extract_page(html, url, content_type, min_chars)
    except ExtractError as exc:
        failure = str(exc)
    if page is None and not failure:
        failure = "page is empty"
    elif page is not None and page.not_article:
        failure = f"page is not an article ({page.not_article})"
    elif page is not None and len(page.text) < min_chars:
        failure = f"page extraction too short ({len(page.text)} chars < {min_chars})"

    item = feed_item or FeedItem(url=url, title="")
    title = clean_text(item.title) or (page.title if page else "")
    post = Post(url=url, title=title, source_key=source.key, guid=item.guid,
                published=item.published or (page.published if page else None),
                author=clean_text(item.author, AUTHOR_MAX_CHARS) or None)
    if page is not None:
        post.author = page.author or post.author
        post.html = page.html
    if not failure:
        assert page is not None
        post.text, post.links, post.images = page.text, page.links, page.images
        post.figures = page.figures
    else:
        feed_html = item.content_html or item.summary_html
        feed_text = html_to_text(feed_html)
        short_text = page.text if page is not None and not page.not_article else ""
        if feed_text and len(feed_text) > len(short_text):
            post.text = feed_text
            post.links, post.images = _fragment_urls(feed_html, url)
            post.extraction = "feed"
            what = "content" if item.content_html else "summary"
            post.extraction_note = f"{failure}; used the feed's {what} ({len(feed_text)} chars)"
        else:
            if feed_item is None and not title and not short_text:
                raise ExtractError(f"{failure}; no feed content and no title to fall back to", url=url)
            post.text = short_text
            if page is not None and not page.not_article:
                post.links, post.images = page.links, page.images
            post.extraction = "title-only"
            post.extraction_note = f"{failure}; the feed has no content either" + \
                ("" if not short_text else f" (kept the {len(short_text)} chars extracted)")
    # the text is plain, but pieces of it end up in Markdown where raw HTML renders: a literal active
    # tag is defanged ("<script" -> "‹script"), which a reader still understands in a code sample
    post.text = _ACTIVE_TAG.sub("‹", post.text)
    post.lang = detect_lang(post.title, post.text, source.lang)
    return post


# -- the page ---------------------------------------------------------------------------------------

def _parse(html: str | bytes, url: str, content_type: str | None) -> lxml.html.HtmlElement | None:
    if isinstance(html, bytes):
        if not html.strip():
            return None
        text = decode_body(html, content_type)[0]
    else:
        text = html.encode("utf-8", "replace").decode("utf-8")  # lone surrogates would stop lxml
    text = _XML_ILLEGAL.sub("", _XML_DECL.sub("", text, count=1))
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractError(f"page cannot be parsed as HTML ({exc})", url=url) from exc


def _extract_page(html: str | bytes, url: str, content_type: str | None, min_chars: int) -> _Page | None:
    tree = _parse(html, url, content_type)
    if tree is None:
        return None
    base = http_url(_first(tree.xpath("//base/@href")), url) or url
    canonical = http_url(_first(tree.xpath("//link[contains(concat(' ', normalize-space(translate(@rel,"
                                           "'CANONICAL','canonical')), ' '), ' canonical ')]/@href")), base)
    meta = _meta(tree)
    page = _Page(title=clean_text(meta.get("og:title") or _first(tree.xpath("//title/text()")), markup=False),
                 author=_meta_author(tree, meta), published=_meta_date(meta))
    page.not_article = _not_article_reason(tree)
    fallback_links = _urls(tree.xpath("(//article|//main|//body)[1]//a/@href"), base, MAX_LINKS)
    fallback_images = _urls(tree.xpath("(//article|//main|//body)[1]//img/@src"), base, MAX_IMAGES)
    try:
        doc = trafilatura.bare_extraction(tree, url=url, include_comments=False, include_links=True,
                                          include_images=True, include_tables=True, with_metadata=True,
                                          deduplicate=False)
    except Exception as exc:  # noqa: BLE001 — hostile markup must become a fallback, never a crash
        raise ExtractError(f"article extraction failed ({type(exc).__name__}: {exc})", url=url) from exc
    body = getattr(doc, "body", None) if doc is not None else None
    if doc is not None:
        page.text = (doc.text or "").strip()
        page.title = clean_text(doc.title, markup=False) or page.title
        if doc.author and not http_url(doc.author):
            page.author = clean_text(doc.author, AUTHOR_MAX_CHARS) or page.author
        page.published = page.published or _date(doc.date)
    if body is not None:
        refs = list(body.iter("ref"))
        page.links = _urls([r.get("target") for r in refs], base, MAX_LINKS, exclude=url)
        page.images = _urls([g.get("src") for g in body.iter("graphic")], base, MAX_IMAGES)
        link_chars = sum(len("".join(r.itertext())) for r in refs)
        if page.text and not page.not_article and link_chars / len(page.text) > LINK_DENSITY_MAX:
            page.not_article = f"{link_chars * 100 // len(page.text)}% of its text is links"
        page.html = _article_html(body, base)
    if not page.links:
        page.links = [u for u in fallback_links if u != url]
    if not page.images:
        page.images = fallback_images
    og_image = http_url(meta.get("og:image"), base)
    if og_image and og_image not in page.images:
        page.images.append(og_image)
    page.figures = find_figures(tree, base, og_image=og_image)
    if canonical:
        page.html = f'<link rel="canonical" href="{_attr(canonical)}">\n' + page.html
    if page.not_article == "" and _is_login_wall(tree, page.text, min_chars):
        page.not_article = "a login form"
    return page


def _first(values: list) -> str | None:
    return str(values[0]) if values else None


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _meta(tree: lxml.html.HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key and value and key not in found:
            found[key] = value
    return found


def _meta_author(tree: lxml.html.HtmlElement, meta: dict[str, str]) -> str | None:
    """Author from meta tags or JSON-LD (Korean blogs put it there; trafilatura often misses it)."""
    for key in _AUTHOR_META:
        value = meta.get(key)
        if value and not http_url(value):  # article:author is often a profile URL
            return clean_text(value, AUTHOR_MAX_CHARS, markup=False) or None
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        if len(script) > JSON_LD_MAX_CHARS:
            continue
        try:
            data = json.loads(script)
        except (ValueError, RecursionError):
            continue
        name = _ld_author(data)
        if name:
            return clean_text(name, AUTHOR_MAX_CHARS, markup=False) or None
    return None


def _ld_author(data: object, depth: int = 0) -> str | None:
    if depth > 6:
        return None
    if isinstance(data, list):
        for item in data:
            if (name := _ld_author(item, depth + 1)):
                return name
        return None
    if not isinstance(data, dict):
        return None
    author = data.get("author") or data.get("creator")
    if isinstance(author, str) and not http_url(author):
        return author
    if isinstance(author, dict) and isinstance(author.get("name"), str):
        return author["name"]
    if isinstance(author, list):
        names = [a.get("name") if isinstance(a, dict) else a for a in author]
        names = [n for n in names if isinstance(n, str) and n.strip() and not http_url(n)]
        if names:
            return ", ".join(names)
    return _ld_author(data.get("@graph"), depth + 1) if "@graph" in data else None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _meta_date(meta: dict[str, str]) -> datetime | None:
    for key in _DATE_META:
        if (parsed := _date(meta.get(key.lower()))):
            return parsed
    return None


def _urls(values: list, base: str, limit: int, *, exclude: str | None = None) -> list[str]:
    out: dict[str, None] = {}
    for value in values:
        absolute = http_url(str(value) if value else None, base)
        if absolute and absolute != exclude and not absolute.startswith(f"{exclude}#"):
            out.setdefault(absolute)
            if len(out) >= limit:
                break
    return list(out)


def _not_article_reason(tree: lxml.html.HtmlElement) -> str:
    articles = tree.xpath("//article[not(ancestor::article)]")
    if len(articles) >= INDEX_MIN_ARTICLES:
        sizes = [len(a.text_content()) for a in articles]
        if max(sizes) < INDEX_DOMINANT_SHARE * sum(sizes):
            return f"an index page listing {len(articles)} articles"
    return ""


def _is_login_wall(tree: lxml.html.HtmlElement, text: str, min_chars: int) -> bool:
    return bool(tree.xpath("//input[translate(@type,'PASSWORD','password')='password']")) and \
        len(text) < LOGIN_WALL_TEXT_FACTOR * max(min_chars, 100)


def _article_html(body: lxml.etree._Element, base: str) -> str:
    """trafilatura's article tree as simple, sanitized HTML (see :func:`sanitize_html`)."""
    root = convert_to_html(copy.deepcopy(body))
    inner = root.find("body")
    target = inner if inner is not None else root
    return sanitize_html("".join(lxml.html.tostring(child, encoding="unicode") for child in target), base)


def canonical_url_of(post_html: str) -> str | None:
    """The canonical URL :func:`extract_post` recorded at the head of ``post.html``, if any."""
    m = re.match(r'<link rel="canonical" href="([^"]+)">', post_html or "")
    return m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&amp;", "&") if m else None


# -- feed content -----------------------------------------------------------------------------------

def _fragment(html: str) -> lxml.html.HtmlElement | None:
    if not html or not html.strip():
        return None
    try:
        root = lxml.html.fragment_fromstring(_XML_ILLEGAL.sub("", html.encode("utf-8", "replace")
                                                              .decode("utf-8")), create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return None
    lxml.etree.strip_elements(root, "script", "style", "noscript", "template", with_tail=False)
    return root


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (a feed's content), one line per block element."""
    root = _fragment(html)
    if root is None:
        return ""
    for el in root.iter(*_BLOCK_TAGS):
        el.tail = "\n" + (el.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def _fragment_urls(html: str, base: str) -> tuple[list[str], list[str]]:
    root = _fragment(html)
    if root is None:
        return [], []
    return (_urls(root.xpath(".//a/@href"), base, MAX_LINKS, exclude=base),
            _urls(root.xpath(".//img/@src"), base, MAX_IMAGES))


# -- language ---------------------------------------------------------------------------------------

def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"


def hangul_ratio(text: str) -> tuple[float, int]:
    """(share of Hangul among letters, number of letters) of ``text``."""
    letters = hangul = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            hangul += _is_hangul(ch)
    return (hangul / letters if letters else 0.0), letters


def detect_lang(title: str, text: str, source_lang: str) -> str:
    """``"ko"`` when the title or the text is mostly Hangul; an English post on a Korean source is
    ``"en"``; otherwise the source's language."""
    title_ratio, _ = hangul_ratio(title)
    text_ratio, text_letters = hangul_ratio(text[:LANG_SAMPLE_CHARS])
    if title_ratio >= HANGUL_MIN_RATIO or text_ratio >= HANGUL_MIN_RATIO:
        return "ko"
    if source_lang == "ko":
        all_ratio, letters = hangul_ratio(f"{title} {text[:LANG_SAMPLE_CHARS]}")
        if letters >= EN_ON_KO_SOURCE_MIN_LETTERS and all_ratio <= EN_ON_KO_SOURCE_MAX_HANGUL:
            return "en"
        return "ko"
    return source_lang or "en"
