"""Feed parsing: what a curator gets out of real-world, sloppy and hostile feeds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from blogsift.errors import FeedError
from blogsift.feeds import TITLE_MAX_CHARS, clean_text, parse_feed
from blogsift.fetch import fetch_once
from test_fetch import fast
from localserver import LocalServer, Route

FEED_URL = "https://blog.example.com/feed.xml"


def rss(items: str, head: str = '<?xml version="1.0" encoding="utf-8"?>', channel: str = "") -> bytes:
    return (f'{head}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Example Blog</title><link>https://blog.example.com/</link>{channel}{items}"
            f"</channel></rss>").encode()


def item(link: str, title: str = "A post", guid: str | None = None,
         date: str | None = "Mon, 06 Sep 2021 16:45:00 +0900", extra: str = "") -> str:
    g = f"<guid>{guid}</guid>" if guid else ""
    d = f"<pubDate>{date}</pubDate>" if date else ""
    return f"<item><title>{title}</title><link>{link}</link>{g}{d}{extra}</item>"


def test_items_with_absolute_links_utc_dates_and_content():
    body = rss(item("/posts/1", "Serving LLMs", extra="<description>Short &lt;b&gt;teaser&lt;/b&gt;</description>"
                    "<content:encoded><![CDATA[<p>Full <a href='/code'>post</a></p>]]></content:encoded>"
                    "<author>kim@example.com (Kim)</author>")
               + item("https://other.example.org/2", "Second", date=None))
    result = parse_feed(body, FEED_URL, source="ex", headers={"Content-Type": "application/rss+xml"})
    assert result.warnings == [] and result.title == "Example Blog" and result.link == "https://blog.example.com/"
    first, second = result.items
    assert first.url == "https://blog.example.com/posts/1" and first.title == "Serving LLMs"
    assert first.published == datetime(2021, 9, 6, 7, 45, tzinfo=UTC)
    assert "teaser" in first.summary_html and 'href="https://blog.example.com/code"' in first.content_html
    assert first.author and "Kim" in first.author
    assert second.url == "https://other.example.org/2" and second.published is None


def test_atom_feed():
    body = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
    <title>Atom Blog</title><link href="https://atom.example.com/"/>
    <entry><title type="html">Vision &lt;em&gt;transformers&lt;/em&gt;</title><link href="/a/1"/><id>tag:x,1</id>
    <updated>2025-03-01T12:00:00Z</updated><content type="html">&lt;p&gt;Body&lt;/p&gt;</content></entry></feed>"""
    result = parse_feed(body, "https://atom.example.com/feed.atom")
    (entry,) = result.items
    assert entry.title == "Vision transformers" and entry.url == "https://atom.example.com/a/1"
    assert entry.published == datetime(2025, 3, 1, 12, 0, tzinfo=UTC) and entry.guid == "tag:x,1"
    assert entry.content_html == "<p>Body</p>"


def test_duplicate_entries_are_collapsed_with_a_warning():
    body = rss(item("/p/1", "One", guid="g1") + item("/p/1#comments", "One again") + item("/p/2", "Two", guid="g1")
               + item("/p/3", "Three"))
    result = parse_feed(body, FEED_URL)
    assert [i.title for i in result.items] == ["One", "Three"]
    assert any("2 duplicate entries" in w for w in result.warnings)


def test_script_and_javascript_links_never_reach_the_items():
    body = rss(item("javascript:alert(1)", "Evil link")
               + item("data:text/html,<script>alert(1)</script>", "Data link")
               + item("/ok", "Fine &lt;script&gt;alert(2)&lt;/script&gt; title",
                      extra="<description>&lt;p&gt;x&lt;script&gt;steal()&lt;/script&gt;"
                            "&lt;a href=\"javascript:alert(3)\"&gt;y&lt;/a&gt;"
                            "&lt;img src=x onerror=alert(4)&gt;&lt;/p&gt;</description>"))
    result = parse_feed(body, FEED_URL)
    (ok,) = result.items
    assert ok.title == "Fine title"
    for text in (ok.summary_html, ok.content_html, ok.title, ok.url):
        assert "script" not in text.lower() and "javascript:" not in text.lower() and "onerror" not in text.lower()
    assert any("'javascript' scheme" in w for w in result.warnings)
    assert any("'data' scheme" in w for w in result.warnings)
    assert not any("alert" in w for w in result.warnings)  # the URL itself is not echoed


def test_titles_are_cleaned_of_markup_and_control_characters_and_capped():
    assert clean_text("Hello\x00\x07 <b>bold</b>\u202e reversed\u200b  \n world") == "Hello bold reversed world"
    long = clean_text("word " * 1000)
    assert len(long) == TITLE_MAX_CHARS and long.endswith("…")
    assert clean_text("A < B and C > D", markup=False) == "A < B and C > D"


def test_malformed_feed_keeps_what_it_can_read():
    body = rss(item("/p/1", "Readable") + item("/p/2", "Also readable"))[:-30] + b"<item><title>broken & <"
    result = parse_feed(body, FEED_URL, source="ex")
    assert [i.title for i in result.items][:2] == ["Readable", "Also readable"]
    assert any(w.startswith("feed is malformed") for w in result.warnings)


def test_empty_feed_is_a_warning_not_an_error():
    result = parse_feed(rss(""), FEED_URL)
    assert result.items == [] and result.warnings == ["feed has no entries"]


@pytest.mark.parametrize("body", [b"", b"   \n  "])
def test_empty_response_is_a_feed_error(body):
    with pytest.raises(FeedError, match="empty response") as info:
        parse_feed(body, FEED_URL, source="ex")
    assert info.value.url == FEED_URL and info.value.source == "ex"


def test_html_page_instead_of_a_feed_is_named_and_points_at_the_real_feed():
    page = b"""<!DOCTYPE html><html><head><title>Blog</title>
    <link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body><h1>Posts</h1></body></html>"""
    with pytest.raises(FeedError, match=r"not a feed \(got an HTML page\); the page announces a feed at "
                                        r"https://blog.example.com/rss.xml") as info:
        parse_feed(page, FEED_URL, source="ex", headers={"content-type": "text/html; charset=utf-8"})
    assert info.value.source == "ex"


def test_garbage_is_a_feed_error():
    with pytest.raises(FeedError, match="not a readable feed"):
        parse_feed(b"\x89PNG\r\n\x1a\n\x00\x00binary<<<", FEED_URL)


def test_charset_from_response_headers_is_honoured():
    title = "추천 시스템 실험기"
    body = rss(item("/p/1", title), head='<?xml version="1.0"?>').decode().encode("euc-kr")
    result = parse_feed(body, FEED_URL, headers={"content-type": "application/rss+xml; charset=euc-kr"})
    assert result.items[0].title == title


def test_feed_fetched_from_a_server_and_parsed():
    body = rss(item("/p/1", "한국어 제목", extra="<description>요약</description>"),
               head='<?xml version="1.0" encoding="euc-kr"?>').decode().replace(
        'encoding="utf-8"', "").encode("euc-kr")
    with LocalServer({"/feed.xml": Route(body=body, content_type="application/rss+xml")}) as srv:
        fetched = fetch_once(srv.url("/feed.xml"), fast())
        result = parse_feed(fetched.content, fetched.final_url, headers=fetched.headers)
        base = srv.base_url
    assert result.items[0].title == "한국어 제목" and result.items[0].url == base + "/p/1"
