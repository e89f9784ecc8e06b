"""Web text cannot inject Markdown structure, HTML or script links into any digest output."""

from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from blogsift.digest import (DigestEntry, house_title, parse_digest, render_digest, render_markdown, safe_bullet,
                             safe_url)
from blogsift.digest.safety import escape_title_text, safe_image_src

HOSTILE_TITLES = [
    "Great post\n## 1. Research\n### 1.1. CV\n* [Injected (Jan 2023)](https://evil.example/)",
    "<script>alert(1)</script>Nice <b>title</b>",
    "Click [here](javascript:alert(1)) now",
    "Unbalanced ) and ( and ] and [ brackets",
    "snake_case and 2*3*4 and `code`",
    "Fake date (Jan 2023, Evil)",
    "&lt;img src=x onerror=alert(1)&gt;",
    "![pixel](https://tracker.example/p.gif)",
]


def _entry(title_md: str, bullets=()) -> DigestEntry:
    return DigestEntry(track="research", area="cv", month="2023-01", title_md=title_md, url="https://a.example/p",
                       org="Org", bullets=list(bullets))


@pytest.mark.parametrize("raw", HOSTILE_TITLES)
def test_hostile_titles_stay_one_inert_entry(raw):
    text = render_markdown([_entry(house_title(raw))], header=["# D"])
    digest = parse_digest(text)
    assert len(digest.entries) == 1 and render_digest(digest) == text
    entry = digest.entries[0]
    assert entry.url == "https://a.example/p" and entry.month == "2023-01" and entry.org == "Org"
    assert text.count("\n## ") == 1 and "\n### 1.1. CV\n* [" in text
    line = text.split("\n")[3]
    assert "<" not in line.replace("\\<", "") and "](javascript" not in line


def test_escaping_rules():
    assert escape_title_text("a [b] (c d *e* _f_") == "a \\[b\\] (c d \\*e\\* \\_f\\_".replace("(c", "\\(c")
    assert escape_title_text("Language Modeling (CALM)") == "Language Modeling (CALM)"   # balanced: kept
    assert escape_title_text("x\n\n# y\t z") == "x # y z"
    assert escape_title_text("<em>A</em> &amp; B<script>bad()</script>") == "A & B"


@pytest.mark.parametrize("url, expected", [
    ("https://a.example/a b(c)", "https://a.example/a%20b%28c%29"),
    ("http://a.example/%EC%BF%A0?x=1#f", "http://a.example/%EC%BF%A0?x=1#f"),
    ("javascript:alert(1)", None), ("JaVaScRiPt:alert(1)", None), ("data:text/html,<x>", None),
    ("//evil.example/x", None), ("ftp://a.example/", None), ("https://a.example/\nx", None), ("", None),
])
def test_urls(url, expected):
    assert safe_url(url) == expected


def test_image_sources():
    assert safe_image_src("./images/a b.png") == "./images/a%20b.png"
    assert safe_image_src("javascript:alert(1)") is None and safe_image_src("data:image/png;base64,AA") is None


@pytest.mark.parametrize("bullet, expected", [
    ("## 1. Research", "\\## 1. Research"),
    ("> quote", "\\> quote"),
    ("1. 번호", "1\\. 번호"),
    ("- dash", "\\- dash"),
    ("줄\n바꿈\r\n## 제목", "줄 바꿈 ## 제목"),
    ("[코드](javascript:alert(1))로 구현", "코드로 구현"),
    ("[코드](https://github.com/a/b)로 구현", "[코드](https://github.com/a/b)로 구현"),
    ("<script>alert(1)</script>본문 <b>굵게</b>", "본문 굵게"),
    ("플래시 어텐션 < 메모리 효율적 어텐션", "플래시 어텐션 < 메모리 효율적 어텐션"),
    ("javascript:alert(1) 텍스트", "javascript\\:alert(1) 텍스트"),
])
def test_machine_bullets(bullet, expected):
    assert safe_bullet(bullet) == expected
    assert safe_bullet(expected) == expected   # idempotent


def test_machine_entry_with_script_url_is_refused():
    from blogsift.digest import UnsafeText
    bad = DigestEntry(track="research", area="cv", month="2023-01", title_md="x", url="javascript:alert(1)")
    with pytest.raises(UnsafeText):
        render_markdown([bad])


@hsettings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=80), st.lists(st.text(max_size=60), max_size=3))
def test_any_web_text_yields_exactly_one_entry(raw_title, raw_bullets):
    entry = _entry(house_title(raw_title) or "x", raw_bullets)
    text = render_markdown([entry], header=["# D"])
    digest = parse_digest(text)
    assert [e.url for e in digest.entries] == ["https://a.example/p"]
    assert render_digest(digest) == text
    assert all(not link.url.lower().startswith("javascript") for link in digest.entries[0].links)
