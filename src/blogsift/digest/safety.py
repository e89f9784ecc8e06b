"""Keeping web text from injecting Markdown structure, HTML or script links into a digest.

Titles and bullets that come from the web (feeds, pages, a summarizer) pass through here before
they become Markdown: tags are dropped (the standard library's HTML parser reads them, so entities
and comments are handled as a browser would), everything is one line, and the characters that
would open a link, emphasis, code or HTML are escaped. Only http(s) URLs survive.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from ..errors import DigestFormatError

__all__ = ["is_http_url", "safe_url", "safe_image_src", "strip_html", "escape_title_text", "safe_bullet",
           "clean_inline", "UnsafeText"]

_WS = re.compile(r"\s+")
#: characters escaped in plain title text; parentheses are handled apart (balanced ones read fine)
_TITLE_SPECIALS = re.compile(r"([\\\[\]*_`<>])")
# a link in a bullet: [text](target)
_INLINE_LINK = re.compile(r"(?<!\\)(!?)\[((?:\\.|[^\[\]\\])*)\]\(((?:[^()\s]|\([^()\s]*\))*)\)")
#: Markdown block markers that would turn a one-line bullet into a heading, quote, list or rule
_BLOCK_START = re.compile(r"^(#{1,6}(?=\s|$)|>|[-+*](?=\s|$)|=+\s*$|-{3,}|`{3,}|~{3,}|(\d{1,9})[.)](?=\s|$))")
#: URL characters that would end a Markdown link target or break the line; percent-encoded
_URL_SAFE = ":/?#@!$&'*+,;=%~-._[]"


class UnsafeText(DigestFormatError, ValueError):
    """Text or a URL that cannot be made safe (e.g. a ``javascript:`` entry URL)."""


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def strip_html(text: str) -> str:
    """The text of an HTML fragment: tags and script/style content dropped, entities decoded."""
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def is_http_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def safe_url(url: str) -> str | None:
    """An http(s) URL fit for ``(...)`` in Markdown (spaces, parentheses, quotes and angle brackets
    percent-encoded), or None for anything else (``javascript:``, ``data:``, relative, ...)."""
    url = (url or "").strip()
    if any(ord(c) < 32 for c in url) or not is_http_url(url):
        return None
    return quote(url, safe=_URL_SAFE)


def safe_image_src(src: str) -> str | None:
    """An image source: an http(s) URL or a relative path (``./images/x.png``); never a scheme."""
    src = (src or "").strip()
    if not src:
        return None
    if urlsplit(src).scheme:
        return safe_url(src)
    if src.startswith("//") or any(ord(c) < 32 for c in src):
        return None
    return quote(src, safe=_URL_SAFE)


def _escape_parens(text: str) -> str:
    """Balanced parentheses read fine in link text (the house writes ``(*CALM*)``); lone ones are escaped."""
    open_at: list[int] = []
    lone: set[int] = set()
    for i, ch in enumerate(text):
        if ch == "(" and (i == 0 or text[i - 1] != "\\"):
            open_at.append(i)
        elif ch == ")" and (i == 0 or text[i - 1] != "\\"):
            if open_at:
                open_at.pop()
            else:
                lone.add(i)
    lone.update(open_at)
    return "".join("\\" + ch if i in lone else ch for i, ch in enumerate(text))


def escape_title_text(text: str) -> str:
    """Plain text from the web made inert for an entry line: tags dropped, one line, and every
    character that would open a link, emphasis, code or HTML escaped."""
    text = _WS.sub(" ", strip_html(text or "")).strip()
    return _escape_parens(_TITLE_SPECIALS.sub(r"\\\1", text))


def safe_bullet(text: str) -> str:
    """A bullet from a machine made safe: one line, no raw HTML, no block structure, links only to
    http(s) (other links keep their text and lose the target). Idempotent on safe text."""
    text = _WS.sub(" ", text or "").strip()
    if re.search(r"<[A-Za-z/!?]", text):
        text = _WS.sub(" ", strip_html(text)).strip()
        text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)

    def fix(m: re.Match) -> str:
        bang, label, target = m.groups()
        good = safe_image_src(target) if bang else safe_url(target)
        return f"{bang}[{label}]({good})" if good else label

    text = _INLINE_LINK.sub(fix, text)
    text = re.sub(r"(?i)\b(?:javascript|vbscript|data)\s*:", lambda m: m.group(0).replace(":", "\\:"), text)
    m = _BLOCK_START.match(text)
    if m:
        cut = m.start(2) + len(m.group(2)) if m.group(2) else 0
        text = text[:cut] + "\\" + text[cut:]
    return text


#: the name the first version of this module used; kept for callers
clean_inline = safe_bullet
