"""Article extraction from post pages, and the fallback to the feed's own content."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from blogsift.errors import ExtractError
from blogsift.extract import canonical_url_of, detect_lang, extract_post
from blogsift.fetch import fetch_once
from blogsift.models import FeedItem, Source
from localserver import LocalServer, Route
from test_fetch import fast

URL = "https://blog.example.com/posts/serving"
EN = Source(key="ex", name="Example", feed_url="https://blog.example.com/feed", lang="en")
KO = Source(key="ko", name="한국 블로그", feed_url="https://ko.example.com/feed", lang="ko")

PARAGRAPH = ("We serve large language models with continuous batching and paged attention. "
             "The scheduler admits requests while others decode, which keeps the accelerators busy. ")
KO_PARAGRAPH = ("저희 팀은 대규모 언어 모델을 연속 배칭과 페이지드 어텐션으로 서빙합니다. "
                "스케줄러는 다른 요청이 디코딩하는 동안 새 요청을 받아 가속기를 쉬지 않게 합니다. ")


def article(body: str, head: str = "", lang: str = "en", extra: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Serving | Blog</title>{head}'
            f'</head><body><nav><a href="/">Home</a> <a href="/about">About</a></nav>'
            f"<article><h1>Serving LLMs</h1>{body}</article>{extra}<footer>(c) Example</footer></body></html>")


def rich_body(paragraph: str = PARAGRAPH, n: int = 6) -> str:
    # numbered: trafilatura keeps one copy of a repeated paragraph
    return "".join(f"<p>{i}. {paragraph}</p>" for i in range(n)) + (
        '<p>Code is on <a href="https://github.com/example/server">GitHub</a>, weights on '
        '<a href="https://huggingface.co/example/model">the Hub</a>, see <a href="/posts/part-1">part 1</a>, '
        '<a href="javascript:alert(1)">click</a>, <a href="mailto:a@b.c">mail</a>.</p>'
        '<figure><img src="/img/arch.png" alt="architecture"><figcaption>Architecture</figcaption></figure>'
        '<img src="javascript:alert(2)"><script>document.cookie</script>'
        '<p onclick="alert(3)">Closing words about throughput and latency in production systems.</p>')


def item(**kw) -> FeedItem:
    return FeedItem(url=URL, title=kw.pop("title", "Serving LLMs at scale"), **kw)


def test_article_page_gives_text_links_images_and_canonical():
    page = article(rich_body(), head='<link rel="canonical" href="https://blog.example.com/serving">'
                                     '<meta name="author" content="Jane Doe">')
    post = extract_post(page.encode(), URL, item(published=datetime(2025, 5, 1, tzinfo=UTC)), EN, 400)
    assert post.extraction == "page" and post.extraction_note == ""
    assert post.title == "Serving LLMs at scale" and post.author == "Jane Doe" and post.lang == "en"
    assert post.source_key == "ex" and post.published == datetime(2025, 5, 1, tzinfo=UTC)
    assert "continuous batching" in post.text and "document.cookie" not in post.text
    assert "https://github.com/example/server" in post.links
    assert "https://huggingface.co/example/model" in post.links
    assert "https://blog.example.com/posts/part-1" in post.links
    assert "https://blog.example.com/img/arch.png" in post.images
    assert all(u.startswith(("http://", "https://")) for u in post.links + post.images)
    assert canonical_url_of(post.html) == "https://blog.example.com/serving"
    lowered = post.html.lower()
    assert "<script" not in lowered and "javascript:" not in lowered and "onclick" not in lowered
    assert 'href="https://github.com/example/server"' in post.html


def test_korean_author_from_meta_and_json_ld():
    meta = article(rich_body(KO_PARAGRAPH), lang="ko",
                   head='<meta property="article:author" content="https://facebook.com/x">'
                        '<meta name="author" content="김하늘">')
    post = extract_post(meta, URL, item(title="LLM 서빙 최적화 with vLLM"), KO, 400)
    assert post.author == "김하늘" and post.lang == "ko"
    ld = article(rich_body(KO_PARAGRAPH), lang="ko",
                 head='<script type="application/ld+json">{"@context":"https://schema.org","@graph":'
                      '[{"@type":"BlogPosting","headline":"x","author":[{"@type":"Person","name":"이도윤"}]}]}</script>')
    assert extract_post(ld, URL, item(), KO, 400).author == "이도윤"


def test_euc_kr_page_with_charset_only_in_meta():
    page = article(rich_body(KO_PARAGRAPH), lang="ko").replace(
        '<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">')
    post = extract_post(page.encode("cp949"), URL, item(title=""), KO, 400)
    assert "연속 배칭" in post.text and post.lang == "ko" and post.extraction == "page"


def test_wrong_charset_in_the_header_is_overridden_by_the_bytes():
    page = article(rich_body(KO_PARAGRAPH), lang="ko").replace('charset="utf-8"', 'charset="euc-kr"')
    post = extract_post(page.encode("euc-kr"), URL, item(), KO, 400, content_type="text/html; charset=utf-8")
    assert "연속 배칭" in post.text


def test_page_fetched_from_a_server_and_extracted_with_its_header_charset():
    page = article(rich_body(KO_PARAGRAPH), lang="ko").replace('<meta charset="utf-8">', "")
    with LocalServer({"/p": Route(body=page.encode("cp949"), content_type="text/html; charset=EUC-KR")}) as srv:
        fetched = fetch_once(srv.url("/p"), fast())
    post = extract_post(fetched.content, fetched.final_url, item(), KO, 400,
                        content_type=fetched.headers["content-type"])
    assert "연속 배칭" in post.text and post.extraction == "page"


def test_invalid_utf8_still_gives_a_post():
    page = article(rich_body()).encode() + b"\xff\xfe\xed\xa0\x80 trailing"
    page = page.replace(b"continuous", b"contin\xc3uous")
    post = extract_post(page, URL, item(), EN, 400)
    assert post.extraction == "page" and "paged attention" in post.text


def test_too_short_extraction_falls_back_to_the_feed_content_and_says_so():
    page = article("<p>Read the full post in our app.</p>")
    feed = item(content_html="<p>" + PARAGRAPH * 3 + '</p><p>See <a href="/code">code</a>'
                                                   '<script>x()</script></p><img src="/f.png">')
    post = extract_post(page, URL, feed, EN, 400)
    assert post.extraction == "feed"
    assert "page extraction too short" in post.extraction_note and "feed's content" in post.extraction_note
    assert "continuous batching" in post.text and "x()" not in post.text
    assert post.links == ["https://blog.example.com/code"] and post.images == ["https://blog.example.com/f.png"]


def test_summary_is_used_when_the_feed_has_no_content():
    post = extract_post(b"", URL, item(summary_html="<p>" + PARAGRAPH + "</p>"), EN, 400)
    assert post.extraction == "feed" and "page is empty" in post.extraction_note
    assert "feed's summary" in post.extraction_note


def test_nothing_to_fall_back_to_gives_title_only_with_a_note():
    post = extract_post(article("<p>Short.</p>"), URL, item(), EN, 400)
    assert post.extraction == "title-only" and post.title == "Serving LLMs at scale"
    assert "too short" in post.extraction_note and "feed has no content" in post.extraction_note


def test_no_page_no_feed_no_title_is_an_extract_error():
    with pytest.raises(ExtractError) as info:
        extract_post(b"", URL, None, EN, 400)
    assert info.value.url == URL


def test_login_wall_is_not_an_article():
    page = article('<form action="/login"><p>Sign in to keep reading. ' + "Members get more. " * 30 +
                   '</p><input name="user"><input type="password" name="pw"><button>Sign in</button></form>')
    post = extract_post(page, URL, item(summary_html="<p>" + PARAGRAPH + "</p>"), EN, 200)
    assert post.extraction == "feed" and "not an article (a login form)" in post.extraction_note


def index_page(n: int = 6) -> str:
    teasers = "".join(f'<article><h2><a href="/p/{i}">Post {i}</a></h2><p>Teaser {i}: {PARAGRAPH}</p></article>'
                      for i in range(n))
    return f"<html><head><title>Blog</title></head><body><main>{teasers}</main></body></html>"


def test_short_index_page_is_not_an_article():
    post = extract_post(index_page(3).replace("The scheduler admits requests while others decode, which keeps the "
                                              "accelerators busy.", ""),
                        URL, item(summary_html="<p>" + PARAGRAPH + "</p>"), EN, 400)
    assert post.extraction == "feed" and "index page listing 3 articles" in post.extraction_note


def test_doubtful_index_page_keeps_its_text_beside_the_feeds():
    summary = "A summary the feed gives of this post, about serving models on accelerators."
    post = extract_post(index_page(6), URL, item(summary_html=f"<p>{summary}</p>"), EN, 100)
    assert post.extraction == "page" and "may not be an article (an index page listing 6 articles)" \
        in post.extraction_note and "feed's summary" in post.extraction_note
    assert post.text.startswith(summary) and "Teaser 5: We serve" in post.text


def test_sidebar_of_recent_posts_and_a_comment_form_do_not_make_a_post_not_an_article():
    sidebar = "".join(f'<article class="teaser"><h3><a href="/p/{i}">Recent post {i}</a></h3>'
                      f'<p>Teaser {i}: {PARAGRAPH}</p></article>' for i in range(8))
    comments = ('<div id="respond"><form action="/wp-comments-post.php"><textarea name="comment"></textarea>'
                '<input name="author"><input type="password" name="pw"><button>Post comment</button></form></div>')
    page = article(rich_body(), extra=f'<div class="sidebar">{sidebar}</div>{comments}')
    post = extract_post(page, URL, item(summary_html="<p>Just a summary.</p>"), EN, 400)
    assert post.extraction == "page" and "not an article" not in post.extraction_note
    assert "5. We serve" in post.text and "Recent post" not in post.text


def test_related_post_cards_do_not_make_a_post_an_index_page():
    cards = "".join(f'<article><a href="/p/{i}">Related {i}</a></article>' for i in range(4))
    post = extract_post(article(rich_body(), extra=f"<aside>{cards}</aside>"), URL, item(), EN, 400)
    assert post.extraction == "page"


def test_malformed_html_still_gives_a_post():
    page = "<html><body><div><p>" + PARAGRAPH * 6 + "<table><tr><td><p><b><i>unclosed" + "<div>" * 500
    post = extract_post(page, URL, item(), EN, 200)
    assert post.extraction in ("page", "title-only") and post.title


def test_page_date_is_used_when_the_feed_has_none():
    page = article(rich_body(), head='<meta property="article:published_time" content="2024-11-02T09:30:00+09:00">')
    post = extract_post(page, URL, item(), EN, 400)
    assert post.published == datetime(2024, 11, 2, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("title, text, source_lang, lang", [
    ("LLM 서빙 최적화 with vLLM", "", "en", "ko"),
    ("Serving LLMs", KO_PARAGRAPH, "en", "ko"),
    ("Serving LLMs", PARAGRAPH * 3, "ko", "en"),    # an English post on a Korean blog
    ("SageMaker", "짧은 글", "ko", "ko"),
    ("Serving LLMs", PARAGRAPH, "en", "en"),
    ("Serving LLMs with 김철수", PARAGRAPH * 3, "en", "en"),
])
def test_language_by_hangul_ratio(title, text, source_lang, lang):
    assert detect_lang(title, text, source_lang) == lang


def test_undated_feed_entry_takes_the_date_written_on_the_page():
    page = article(rich_body() + '<p class="date">Published on March 5, 2024 by the team</p>')
    post = extract_post(page, URL, item(), EN, 400)
    assert post.published is not None and post.published.date().isoformat() == "2024-03-05"
    assert "held back" not in post.extraction_note


def test_post_with_no_date_anywhere_is_held_back_with_a_reason():
    post = extract_post(article(rich_body()), URL, item(), EN, 400)
    assert post.published is None and post.extraction == "page"
    assert "no publication date in the feed or on the page: held back" in post.extraction_note
