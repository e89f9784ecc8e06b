"""The article of a post page (trafilatura), falling back to the feed's own content.

``extract_post`` always returns a :class:`Post` for a post the feed listed: the page's article when the
extraction is long enough to be one (``extraction="page"``), else the feed's content
(``extraction="feed"``), else the title alone (``extraction="title-only"``); ``extraction_note`` says
why a fallback happened. HTML that is not an article (a login wall, an index of teasers, a page of
links) takes the fallback path too; that is judged on the main content trafilatura finds, never on
sidebars or comment forms, and a page only suspected of being an index keeps its text (after the
feed's). A post its feed leaves undated takes the page's date (meta tags, else htmldate); with none,
it is kept but held back from the digest (``UNDATED_NOTE``). Only http(s) links and images are kept, made absolute; the
article HTML in ``post.html`` is rebuilt from trafilatura's output (no script, no event handlers) and
starts with the page's ``<link rel="canonical">`` when it has one (see :func:`canonical_url_of`).
"""

from __future__ import annotations

import codecs
import copy
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import lxml.etree
import lxml.html
import htmldate
import trafilatura
from trafilatura.htmlprocessing import convert_to_html
from trafilatura.xml import xmltotxt

from .errors import ExtractError
from .feeds import clean_text, http_url, sanitize_html
from .figures import find_figures
from .fetch import decode_body
from .korean import HANGUL_MIN_RATIO, hangul_ratio
from .models import FeedItem, Post, Source

__all__ = ["UNDATED_NOTE", "extract_post", "feed_post", "canonical_url_of", "html_to_text", "detect_lang", "hangul_ratio"]

#: a Korean source's post with at least this many letters and (almost) no Hangul is written in English
EN_ON_KO_SOURCE_MIN_LETTERS = 200
EN_ON_KO_SOURCE_MAX_HANGUL = 0.02
LANG_SAMPLE_CHARS = 3000
#: text inside links / all text above which a page is a list of links, not an article
LINK_DENSITY_MAX = 0.6
#: "not an article" is judged on the main content trafilatura found, never on the whole page (69 of
#: 884 real articles have a sidebar of recent-post <article> cards, 14 a comment form with a password
#: field): a page is an index when its main text comes from at least INDEX_MIN_ARTICLES <article>s
#: and none of them holds INDEX_DOMINANT_SHARE of it
INDEX_MIN_ARTICLES = 3
INDEX_DOMINANT_SHARE = 0.6
#: trafilatura's own extractor runs alone first (``fast``); only when its text is shorter than this does
#: the full sequence run (comparison with readability, jusText rescue): short texts are where those
#: fallbacks find the article. Measured on the 884 real pages with gold snippets (bench/extraction.py):
#: F1 0.925 → 0.924, pages/s 14.3 → 16.6 against bare trafilatura's 16.9 in the same runs
FULL_SEQUENCE_BELOW_CHARS = 1000
#: lines of the main text shorter than this are too common ("Read more", dates) to say where it came from
INDEX_LINE_MIN_CHARS = 40
#: leading characters of a main-text line looked up in each <article>'s text
INDEX_LINE_PROBE_CHARS = 60
#: lines of the main text looked up in the page to find the element that holds it
MAIN_PROBE_LINES = 5
MAIN_PROBE_MIN_CHARS = 15
#: a login wall: a password field outside comment forms, pop-ups and page chrome, and less main
#: text than this many times min_chars
LOGIN_WALL_TEXT_FACTOR = 3
#: a password field inside an element whose id or class says one of these is not the page's purpose
LOGIN_ASIDE_MARKERS = ("comment", "respond", "reply", "modal", "popup", "dialog", "overlay", "lightbox",
                       "sidebar", "widget", "drawer", "dropdown", "offcanvas", "newsletter")
#: said of a post with no date in its feed entry, its meta tags or its page (htmldate): it is kept but
#: held back from every digest month until a person dates it
UNDATED_NOTE = "no publication date in the feed or on the page: held back from digests"
#: a page whose first bytes hold NULs or more than this share of control characters is binary
BINARY_SNIFF_BYTES = 4096
BINARY_MAX_CONTROL = 0.05
MAX_LINKS = 500
MAX_IMAGES = 100
JSON_LD_MAX_CHARS = 200_000
AUTHOR_MAX_CHARS = 200

_BLOCK_TAGS = ("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
               "table", "tr", "section", "article", "figure", "figcaption", "hr", "dd", "dt")
_ACTIVE_TAG = re.compile(r"<(?=\s*/?\s*(?:script|iframe|object|embed|style|svg|math|form|meta|link|base)\b)",
                         re.I)
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32)])
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_AUTHOR_META = ("author", "article:author", "og:article:author", "dc.creator", "byl", "parsely-author")
#: images of the article: those in its first <article>/<main> (or the body), not in sidebars or menus
_MAIN_IMAGES = ("(//article|//main|//body)[1]//img[not(ancestor::aside or ancestor::nav or ancestor::header "
                "or ancestor::footer)]/@src")
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
    doubt: str = ""                # why it might not be an article, when its main text is long anyway


def extract_post(html: str | bytes, url: str, feed_item: FeedItem | None, source: Source, min_chars: int,
                 *, content_type: str | None = None) -> Post:
    """The post at ``url`` from its page ``html`` (bytes are decoded with ``content_type``'s charset,
    then ``<meta charset>``, then UTF-8). With a ``feed_item`` it always returns a post (at worst
    ``title-only``); without one it raises :class:`ExtractError` when the page has no text and no title."""
    item = feed_item or FeedItem(url=url, title="")
    failure = ""
    page: _Page | None = None
    try:
        page = _extract_page(html, url, content_type, min_chars, find_date=item.published is None)
    except ExtractError as exc:
        failure = str(exc)
    if page is None and not failure:
        failure = "page is empty"
    elif page is not None and page.not_article:
        failure = f"page is not an article ({page.not_article})"
    elif page is not None and len(page.text) < min_chars:
        failure = f"page extraction too short ({len(page.text)} chars < {min_chars})"
    return _post(url, feed_item, item, source, page, failure)


def feed_post(url: str, feed_item: FeedItem, source: Source, reason: str) -> Post:
    """The post from its feed entry alone, when its page could not be read (``reason`` says why):
    the feed's content, else its summary, else the title; never raises."""
    return _post(url, feed_item, feed_item, source, None, reason)


def _post(url: str, feed_item: FeedItem | None, item: FeedItem, source: Source, page: _Page | None,
          failure: str) -> Post:
    title = clean_text(item.title) or (page.title if page else "")
    post = Post(url=url, title=title, source_key=source.key, guid=item.guid,
                published=item.published or (page.published if page else None),
                author=clean_text(item.author, AUTHOR_MAX_CHARS) or None)
    if page is not None:
        post.author = page.author or post.author
        post.html = page.html
    feed_html = item.content_html or item.summary_html
    feed_what = "content" if item.content_html else "summary"
    if not failure:
        assert page is not None
        post.text, post.links, post.images = page.text, page.links, page.images
        post.figures = page.figures
        if page.doubt:
            # a doubtful judgement never costs the article: its text stays, the feed's beside it
            feed_text = html_to_text(feed_html)
            post.extraction_note = f"page may not be an article ({page.doubt}); kept its {len(page.text)} chars"
            if feed_text and " ".join(feed_text.split()) not in " ".join(page.text.split()):
                post.text = f"{feed_text}\n\n{page.text}"
                post.extraction_note += f" after the feed's {feed_what} ({len(feed_text)} chars)"
    else:
        feed_text = html_to_text(feed_html)
        short_text = page.text if page is not None and not page.not_article else ""
        if feed_text and len(feed_text) > len(short_text):
            post.text = feed_text
            post.links, post.images = _fragment_urls(feed_html, url)
            post.extraction = "feed"
            post.extraction_note = f"{failure}; used the feed's {feed_what} ({len(feed_text)} chars)"
        else:
            if feed_item is None and not title and not short_text:
                raise ExtractError(f"{failure}; no feed content and no title to fall back to", url=url)
            post.text = short_text
            if page is not None and not page.not_article:
                post.links, post.images = page.links, page.images
            post.extraction = "title-only"
            post.extraction_note = f"{failure}; the feed has no content either" + \
                ("" if not short_text else f" (kept the {len(short_text)} chars extracted)")
    if post.published is None:
        post.extraction_note = "; ".join(x for x in (post.extraction_note, UNDATED_NOTE) if x)
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
        head = html[:BINARY_SNIFF_BYTES]
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            pass   # UTF-16 text: its NULs are half of every ASCII character
        elif head.count(0) or len(head) - len(head.translate(None, _CONTROL_BYTES)) > BINARY_MAX_CONTROL * len(head):
            # an image, archive or PDF served as text/html: parsing it gives noise, not an article
            raise ExtractError("page is binary data, not HTML", url=url)
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


def _extract_page(html: str | bytes, url: str, content_type: str | None, min_chars: int, *,
                  find_date: bool = False) -> _Page | None:
    tree = _parse(html, url, content_type)
    if tree is None:
        return None
    base = http_url(_first(tree.xpath("//base/@href")), url) or url
    canonical = http_url(_first(tree.xpath("//link[contains(concat(' ', normalize-space(translate(@rel,"
                                           "'CANONICAL','canonical')), ' '), ' canonical ')]/@href")), base)
    meta = _meta(tree)
    page = _Page(title=clean_text(meta.get("og:title") or _first(tree.xpath("//title/text()")), markup=False),
                 author=_meta_author(tree, meta), published=_meta_date(meta))
    page.images = _urls(tree.xpath(_MAIN_IMAGES), base, MAX_IMAGES)
    try:
        # links kept (code, paper and series links come from them), images and comments not: on the 884
        # real pages with gold snippets, include_images makes trafilatura keep more boilerplate (F1
        # 0.917 against 0.926), so the article's images are read from its main element instead;
        # metadata comes from the feed, meta tags and JSON-LD (trafilatura's costs half the time)
        doc = _trafilatura(tree, url, fast=True)
        if _body_chars(doc) < FULL_SEQUENCE_BELOW_CHARS:
            doc = _trafilatura(tree, url, fast=False)
    except Exception as exc:  # noqa: BLE001 — hostile markup must become a fallback, never a crash
        raise ExtractError(f"article extraction failed ({type(exc).__name__}: {exc})", url=url) from exc
    body = getattr(doc, "body", None) if doc is not None else None
    link_chars = 0
    if body is not None:
        refs = list(body.iter("ref"))
        page.links = _urls([r.get("target") for r in refs], base, MAX_LINKS, exclude=url)
        link_chars = sum(len("".join(r.itertext())) for r in refs)
        page.html = _article_html(body, base)
        page.text = _plain_text(body)
    if not page.links:
        page.links = _urls(tree.xpath("(//article|//main|//body)[1]//a/@href"), base, MAX_LINKS, exclude=url)
    og_image = http_url(meta.get("og:image"), base)
    if og_image and og_image not in page.images:
        page.images.append(og_image)
    page.figures = find_figures(tree, base, og_image=og_image)
    if canonical:
        page.html = f'<link rel="canonical" href="{_attr(canonical)}">\n' + page.html
    if page.text and link_chars / len(page.text) > LINK_DENSITY_MAX:
        page.not_article = f"{link_chars * 100 // len(page.text)}% of its text is links"
    else:
        # a password form in the content itself leaves no doubt; an index is a guess from the page's
        # structure, so a long main text is kept (beside the feed's) rather than thrown away
        page.not_article = _login_reason(tree, page.text, min_chars)
        index = "" if page.not_article else _index_reason(tree, page.text)
        if index and len(page.text) >= min_chars:
            page.doubt = index
        else:
            page.not_article = page.not_article or index
    if find_date and page.published is None:
        page.published = _page_date(tree)   # last: htmldate prunes the tree it reads
    return page


def _trafilatura(tree: lxml.html.HtmlElement, url: str, *, fast: bool):
    return trafilatura.bare_extraction(tree, url=url, include_comments=False, include_links=True,
                                       include_images=False, include_tables=True, with_metadata=False,
                                       deduplicate=False, fast=fast)


def _body_chars(doc: object) -> int:
    body = getattr(doc, "body", None) if doc is not None else None
    return 0 if body is None else sum(len(t) for t in body.itertext())


def _plain_text(body: lxml.etree._Element) -> str:
    """trafilatura's text of its article tree, links as their words (its own text output writes them
    as Markdown ``[words](url)``, which would reach summaries and classifier features)."""
    plain = copy.deepcopy(body)
    lxml.etree.strip_tags(plain, "ref")
    return xmltotxt(plain, include_formatting=False).strip()


def _page_date(tree: lxml.html.HtmlElement) -> datetime | None:
    """The page's publication date by htmldate (markup, URL-less heuristics), for posts a feed left undated."""
    try:
        found = htmldate.find_date(tree, original_date=True, outputformat="%Y-%m-%d")
    except Exception:  # noqa: BLE001 — a date is a bonus: hostile markup must not cost the post
        return None
    return _date(found)


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


def _in_chrome(el: lxml.etree._Element) -> bool:
    """Inside a sidebar, menu, header, footer, comment form or pop-up rather than the page's content."""
    for anc in el.iterancestors():
        if anc.tag in ("aside", "nav", "header", "footer", "dialog", "template"):
            return True
        marks = f"{anc.get('id', '')} {anc.get('class', '')} {anc.get('action', '')}".lower()
        if any(m in marks for m in LOGIN_ASIDE_MARKERS) or anc.get("hidden") is not None:
            return True
    return False


def _index_reason(tree: lxml.html.HtmlElement, text: str) -> str:
    """An index page: the main text is spread over several <article> teasers, none dominant."""
    articles = [a for a in tree.xpath("//article[not(ancestor::article)]") if not _in_chrome(a)]
    if len(articles) < INDEX_MIN_ARTICLES:
        return ""
    probes = [" ".join(line.split())[:INDEX_LINE_PROBE_CHARS] for line in text.splitlines()]
    probes = [p for p in probes if len(p) >= INDEX_LINE_MIN_CHARS]
    if not probes:
        return ""
    texts = [" ".join(a.text_content().split()) for a in articles]
    found = [sum(1 for p in probes if p in t) for t in texts]
    contributing = sum(1 for n in found if n)
    if contributing >= INDEX_MIN_ARTICLES and max(found) < INDEX_DOMINANT_SHARE * len(probes):
        return f"an index page listing {contributing} articles"
    return ""


def _login_reason(tree: lxml.html.HtmlElement, text: str, min_chars: int) -> str:
    """A login wall: a password field where the article would be, in the element holding the short
    main text (or beside it), not in a comment form, a pop-up or the page's menus."""
    if len(text) >= LOGIN_WALL_TEXT_FACTOR * max(min_chars, 100):
        return ""
    fields = [f for f in tree.xpath("//input[translate(@type,'PASSWORD','password')='password']")
              if not _in_chrome(f)]
    if not fields:
        return ""
    main = _main_element(tree, text)
    if main is None:   # the main text cannot be placed: nothing says the form is in its way
        return ""
    around = main.getparent() if main.getparent() is not None else main
    return "a login form" if any(around in f.iterancestors() for f in fields) else ""


def _main_element(tree: lxml.html.HtmlElement, text: str) -> lxml.etree._Element | None:
    """The element holding most of the first lines of the main text (the parent of most of them: a
    line also found in a header or a teaser must not move it)."""
    probes = [" ".join(line.split())[:INDEX_LINE_PROBE_CHARS] for line in text.splitlines()]
    probes = [p for p in probes if len(p) >= INDEX_LINE_MIN_CHARS][:MAIN_PROBE_LINES]
    if not probes:
        return None
    parents: Counter = Counter()
    for el in tree.iter(lxml.etree.Element):
        own = " ".join((el.text or "").split())[:INDEX_LINE_PROBE_CHARS]
        if len(own) >= MAIN_PROBE_MIN_CHARS and any(p.startswith(own) for p in probes) \
                and el.getparent() is not None:
            parents[el.getparent()] += 1
    return parents.most_common(1)[0][0] if parents else None


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
