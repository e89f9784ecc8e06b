"""Keeping web text from injecting Markdown structure, HTML or script links into a digest."""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

__all__ = ["safe_url", "escape_title_text", "clean_inline", "is_http_url"]

_TAG = re.compile(r"<[^>]*>")
_WS = re.compile(r"\s+")


def is_http_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def safe_url(url: str) -> str:
    """An http(s) URL fit for ``(...)`` in Markdown: spaces, parentheses and angle brackets
    percent-encoded. Anything else (``javascript:``, ``data:``) becomes ``#``."""
    url = url.strip()
    if not is_http_url(url):
        return "#"
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def escape_title_text(text: str) -> str:
    """Plain text (from the web) made inert for an entry line: tags dropped, one line, and the
    characters that would open links or emphasis escaped."""
    text = html.unescape(_TAG.sub("", text))
    text = _WS.sub(" ", text).strip()
    text = re.sub(r"(?i)\b(java|vb)script\s*:", r"\1script ", text)  # never a script URL, even as text
    text = re.sub(r"([\\\[\]*_`<>])", r"\\\1", text)
    # balanced parentheses read fine inside link text (the house writes "(*CALM*)"); lone ones are escaped
    depth, out = 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                out.append("\\)")
                continue
            depth -= 1
        out.append(ch)
    text = "".join(out)
    if depth:
        text = _escape_unclosed(text, depth)
    return text


def _escape_unclosed(text: str, count: int) -> str:
    # escape the last ``count`` unmatched "(" from the right
    chars = list(text)
    closers = 0
    for i in range(len(chars) - 1, -1, -1):
        if chars[i] == ")" and (i == 0 or chars[i - 1] != "\\"):
            closers += 1
        elif chars[i] == "(" and (i == 0 or chars[i - 1] != "\\"):
            if closers:
                closers -= 1
            elif count:
                chars[i] = "\\("
                count -= 1
    return "".join(chars)


def clean_inline(text: str) -> str:
    """A bullet from a machine: one line, no raw HTML, links only to http(s)."""
    text = _WS.sub(" ", _TAG.sub("", text)).strip()
    return re.sub(r"\]\(([^)]*)\)", lambda m: f"]({safe_url(m.group(1))})", text)
