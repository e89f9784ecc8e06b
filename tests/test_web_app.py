"""The review app's HTTP rules over a real SQLite store: listing, filters, FTS5 search, decisions,
CSRF, the access token, security headers, and ``serve`` refusing to listen beyond loopback without a token."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from blogsift.config import Settings
from blogsift.errors import ConfigError
from blogsift.models import Classification, Post, Score, Source, Summary
from blogsift.web import create_app

TOKEN = "s3cret-token-for-tests-0123456789"
LOCAL = "http://127.0.0.1"

POSTS = [
    # key, url, title, source, month-day, track, area, score, text
    ("rec", "https://tech.kakao.example/reco", "카카오 추천시스템 개편기", "kakao", (10, 3), "business", "recsys_etc",
     0.81, "대규모 추천시스템을 실시간 피처 스토어로 옮긴 이야기. GitHub 코드 공개."),
    ("llm", "https://netflix.example/llm", "Serving LLMs at Netflix scale", "netflix", (10, 9), "business",
     "training_inference_mlops", 0.74, "We serve large language models with vLLM and a custom router."),
    ("cv", "https://research.example/seg", "Segment anything, faster", "research", (10, 12), "research", "cv",
     0.66, "A distilled segmentation model for phones; checkpoints on Hugging Face."),
    ("xss", "https://research.example/xss", "<script>alert('x')</script> Robust NLP", "research", (10, 20),
     "research", "nlp", 0.40, "Adversarial training for text classifiers."),
    ("js", "javascript:alert(1)", "A post with a hostile link", "research", (10, 21), "research", "nlp", 0.30,
     "Nothing to see."),
    ("old", "https://netflix.example/old", "Last month's post", "netflix", (9, 28), "business", "cv", 0.9,
     "Older."),
]


def seed(store) -> dict[str, str]:
    store.upsert_source(Source(key="kakao", name="카카오 기술 블로그", feed_url="https://tech.kakao.example/feed",
                               org="카카오", lang="ko"))
    store.upsert_source(Source(key="netflix", name="Netflix TechBlog", feed_url="https://netflix.example/feed",
                               org="Netflix"))
    store.upsert_source(Source(key="research", name="Example Research", feed_url="https://research.example/feed",
                               org="Example"))
    urls = {}
    for key, url, title, source, (month, day), track, area, score, text in POSTS:
        pid = store.upsert_post(Post(url=url, title=title, source_key=source, text=text,
                                     published=datetime(2026, month, day, 8, tzinfo=UTC),
                                     lang="ko" if source == "kakao" else "en"))
        store.put_classification(pid, Classification(True, 0.93, track, 0.81, area, 0.64, model="clf:test"))
        store.put_score(pid, Score(total=score, breakdown={"code": 0.2},
                                   reasons=[f"public code +0.20 ({key})", "business case +0.15"]))
        store.put_summary(pid, Summary(bullets=[f"{key} 요약 하나", f"{key} 요약 둘"], author="extractive"))
        urls[key] = url
    return urls


@pytest.fixture
def seeded(store):
    return store, seed(store)


def client_for(store, host="127.0.0.1", token=None, monkeypatch=None) -> TestClient:
    settings = Settings()
    settings.review = dataclasses.replace(settings.review, host=host, author="tester")
    if monkeypatch is not None:
        monkeypatch.delenv(settings.review.token_env, raising=False)
    return TestClient(create_app(store, settings, token=token), base_url=LOCAL, follow_redirects=False)


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def row_ids(html: str) -> list[str]:
    return re.findall(r'<li class="post[^"]*" id="p-(\d+)"', html)


def titles(html: str) -> list[str]:
    return re.findall(r'class="title"[^>]*>([^<]+)<', html)


# -- reading -------------------------------------------------------------------------------------

def test_list_shows_the_latest_month_best_first_with_reasons_and_confidence(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, monkeypatch=monkeypatch)
    r = c.get("/")
    assert r.status_code == 200
    html = r.text
    assert "2026-10" in html and "Last month&#39;s post" not in html
    assert titles(html)[:3] == ["카카오 추천시스템 개편기", "Serving LLMs at Netflix scale", "Segment anything, faster"]
    assert "<details class=\"reasons\">" in html and "public code +0.20 (rec)" in html
    assert "conf 81% · 64%" in html and "카카오 기술 블로그" in html
    r = c.get("/?month=2026-09")
    assert titles(r.text) == ["Last month&#39;s post"]
    assert c.get("/?month=2026-13").status_code == 400


def test_text_is_escaped_and_only_web_links_become_links(seeded, monkeypatch):
    store, urls = seeded
    html = client_for(store, monkeypatch=monkeypatch).get("/").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Robust NLP" in html
    assert 'href="javascript:' not in html
    assert '<span class="title">A post with a hostile link</span>' in html


def test_filters_by_track_area_source_and_status(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, monkeypatch=monkeypatch)
    assert titles(c.get("/?month=2026-10&track=research&area=cv").text) == ["Segment anything, faster"]
    assert titles(c.get("/?month=2026-10&source=kakao").text) == ["카카오 추천시스템 개편기"]
    assert len(row_ids(c.get("/?month=2026-10&status=candidate").text)) == 5
    assert row_ids(c.get("/?month=2026-10&status=accepted").text) == []


def test_search_matches_korean_substrings_and_text(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, monkeypatch=monkeypatch)
    # FTS5 trigram: a Korean substring inside a longer word, in the title
    assert titles(c.get("/", params={"q": "추천시"}).text) == ["카카오 추천시스템 개편기"]
    # in the text only; several terms must all match
    assert titles(c.get("/", params={"q": "피처 스토어"}).text) == ["카카오 추천시스템 개편기"]
    assert titles(c.get("/", params={"q": "vllm router"}).text) == ["Serving LLMs at Netflix scale"]
    # two Korean syllables are below the trigram length: still found
    assert titles(c.get("/", params={"q": "추천"}).text) == ["카카오 추천시스템 개편기"]
    # FTS syntax in the box is text, not a query
    assert c.get("/", params={"q": 'NEAR( "x* OR'}).status_code == 200
    assert row_ids(c.get("/", params={"q": "없는단어"}).text) == []


def test_search_index_follows_new_and_changed_posts(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, monkeypatch=monkeypatch)
    assert row_ids(c.get("/", params={"q": "양자컴퓨팅"}).text) == []
    pid = store.upsert_post(Post(url="https://tech.kakao.example/q", title="양자컴퓨팅과 추천", source_key="kakao",
                                 published=datetime(2026, 10, 25, tzinfo=UTC), text="새 글"))
    assert row_ids(c.get("/", params={"q": "양자컴퓨팅"}).text) == [str(pid)]
    store.upsert_post(Post(url="https://tech.kakao.example/q", title="다른 제목", source_key="kakao",
                           published=datetime(2026, 10, 25, tzinfo=UTC), text="새 글"))
    assert row_ids(c.get("/", params={"q": "양자컴퓨팅"}).text) == []
    assert row_ids(c.get("/", params={"q": "다른 제목"}).text) == [str(pid)]


# -- writing -------------------------------------------------------------------------------------

def test_accept_reject_move_redirect_back_with_filters(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, monkeypatch=monkeypatch)
    page = "/?month=2026-10&track=business"
    token = csrf_from(c.get(page).text)
    pid = store.get_post(urls["rec"]).id
    r = c.post("/act", data={"csrf_token": token, "url": urls["rec"], "action": "accept", "post_id": str(pid),
                             "track": "business", "area": "recsys_etc", "next": page})
    assert r.status_code == 303 and r.headers["location"] == f"{page}#p-{pid}"
    entry = store.get_entry(urls["rec"])
    assert entry["status"] == "accepted" and entry["origin"] == "person"
    assert store.decisions_for(urls["rec"])[0].author == "person:tester"

    c.post("/act", data={"csrf_token": token, "url": urls["llm"], "action": "reject", "next": page})
    c.post("/act", data={"csrf_token": token, "url": urls["rec"], "action": "move", "track": "research",
                         "area": "nlp", "next": page})
    assert store.get_entry(urls["llm"])["status"] == "rejected"
    assert (store.get_entry(urls["rec"])["track"], store.get_entry(urls["rec"])["area"]) == ("research", "nlp")
    html = c.get("/?month=2026-10&status=accepted").text
    assert titles(html) == ["카카오 추천시스템 개편기"] and "Research / NLP" in html
    assert titles(c.get("/?month=2026-10&status=rejected").text) == ["Serving LLMs at Netflix scale"]


def test_bad_decisions_are_a_clear_400_and_redirects_stay_on_site(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, monkeypatch=monkeypatch)
    token = csrf_from(c.get("/").text)
    r = c.post("/act", data={"csrf_token": token, "url": urls["rec"], "action": "move", "track": "gossip",
                             "area": "nlp"})
    assert r.status_code == 400 and "unknown track" in r.text
    r = c.post("/act", data={"csrf_token": token, "url": urls["rec"], "action": "accept",
                             "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_edit_title_and_bullets(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, monkeypatch=monkeypatch)
    pid = store.get_post(urls["cv"]).id
    page = c.get(f"/post/{pid}", params={"next": "/?month=2026-10"})
    assert page.status_code == 200 and "cv 요약 하나\ncv 요약 둘</textarea>" in page.text
    r = c.post("/edit", data={"csrf_token": csrf_from(page.text), "url": urls["cv"], "post_id": str(pid),
                              "next": "/?month=2026-10", "title_md": "*SAM* on Phones, Faster",
                              "bullets": "첫 요점\r\n\r\n* 둘째 → 결과", "then": "accept"})
    assert r.status_code == 303 and r.headers["location"] == f"/?month=2026-10#p-{pid}"
    entry = store.get_entry(urls["cv"])
    assert entry["title_md"] == "*SAM* on Phones, Faster" and entry["bullets"] == ["첫 요점", "둘째 → 결과"]
    assert [d.action for d in store.decisions_for(urls["cv"])] == ["edit_title", "edit_summary", "accept"]
    history = c.get(f"/post/{pid}").text
    assert "person:tester" in history and "edit_summary" in history
    bad = c.post("/edit", data={"csrf_token": csrf_from(history), "url": urls["cv"], "title_md": "<b>x</b>"})
    assert bad.status_code == 400 and "raw HTML" in bad.text
    assert c.get("/post/99999").status_code == 404


# -- CSRF, token, headers ------------------------------------------------------------------------

def test_forms_without_a_valid_csrf_token_are_refused(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, monkeypatch=monkeypatch)
    c.get("/")  # sets the CSRF cookie
    form = {"url": urls["rec"], "action": "accept"}
    assert c.post("/act", data=form).status_code == 403
    assert c.post("/act", data={**form, "csrf_token": "forged"}).status_code == 403
    # a valid field from another browser's cookie does not fit this one
    other = client_for(store)
    stolen = csrf_from(other.get("/").text)
    assert c.post("/act", data={**form, "csrf_token": stolen}).status_code == 403
    # a form posted from another site is refused even with the right token
    token = csrf_from(c.get("/").text)
    assert c.post("/act", data={**form, "csrf_token": token},
                  headers={"Origin": "https://evil.example"}).status_code == 403
    assert store.all_decisions() == []


def test_token_on_loopback_guards_writes_only(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, token=TOKEN, monkeypatch=monkeypatch)
    page = c.get("/")
    assert page.status_code == 200
    form = {"csrf_token": csrf_from(page.text), "url": urls["rec"], "action": "accept"}
    r = c.post("/act", data=form)
    assert r.status_code == 401 and store.all_decisions() == []
    # with the token as a Bearer header (scripts): no CSRF field needed
    r = c.post("/act", data={"url": urls["rec"], "action": "reject"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 303 and store.get_entry(urls["rec"])["status"] == "rejected"
    assert c.post("/act", data=form, headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 401


def test_beyond_loopback_every_request_needs_the_token(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, host="0.0.0.0", token=TOKEN, monkeypatch=monkeypatch)
    r = c.get("/")
    assert r.status_code == 401 and "Access token" in r.text and "카카오" not in r.text
    assert c.get("/preview").status_code == 401
    assert c.get("/static/review.css").status_code == 200   # public assets of the login page
    assert c.get("/login", params={"token": "wrong-token-wrong-token"}).status_code == 401
    r = c.get("/login", params={"token": TOKEN, "next": "/?month=2026-10"})
    assert r.status_code == 303 and r.headers["location"] == "/?month=2026-10"
    assert TOKEN not in r.headers["set-cookie"]
    page = c.get("/")
    assert page.status_code == 200 and "카카오 추천시스템 개편기" in page.text
    r = c.post("/act", data={"csrf_token": csrf_from(page.text), "url": urls["rec"], "action": "accept"})
    assert r.status_code == 303 and store.get_entry(urls["rec"])["status"] == "accepted"
    # another browser without the cookie gets nothing
    assert client_for(store, host="0.0.0.0", token=TOKEN).get("/").status_code == 401


def test_app_refuses_to_listen_beyond_loopback_without_a_token(store, monkeypatch):
    settings = Settings()
    monkeypatch.delenv(settings.review.token_env, raising=False)
    for host in ("0.0.0.0", "192.168.1.20", "::", "blogsift.internal"):
        settings.review = dataclasses.replace(settings.review, host=host)
        with pytest.raises(ConfigError, match="without an access token"):
            create_app(store, settings)
    settings.review = dataclasses.replace(settings.review, host="0.0.0.0")
    with pytest.raises(ConfigError, match="shorter than"):
        create_app(store, settings, token="short")
    monkeypatch.setenv(settings.review.token_env, TOKEN)
    assert create_app(store, settings) is not None   # the token from the environment


def test_security_headers_and_host_check(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, monkeypatch=monkeypatch)
    r = c.get("/")
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    assert "<script>" not in r.text and 'src="/static/review.js"' in r.text and " style=" not in r.text
    # no external asset: every stylesheet, script and image is served by the app
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', r.text)
    # a DNS-rebinding page reaches the loopback app under its own name: refused
    assert c.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_preview_renders_the_accepted_entries(seeded, monkeypatch):
    store, urls = seeded
    c = client_for(store, monkeypatch=monkeypatch)
    token = csrf_from(c.get("/").text)
    for key in ("rec", "cv"):
        c.post("/act", data={"csrf_token": token, "url": urls[key], "action": "accept"})
    c.post("/act", data={"csrf_token": token, "url": urls["llm"], "action": "reject"})
    md = c.get("/digest.md")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert urls["rec"] in md.text and urls["cv"] in md.text and urls["llm"] not in md.text
    html = c.get("/preview").text
    assert urls["rec"] in html and urls["llm"] not in html


# -- serve ---------------------------------------------------------------------------------------

@pytest.mark.timeout(30)
def test_serve_refuses_beyond_loopback_without_a_token(tmp_path, monkeypatch):
    from blogsift.cli import app

    monkeypatch.delenv("BLOGSIFT_TOKEN", raising=False)
    monkeypatch.delenv("BLOGSIFT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "s.db"), "serve", "--host", "0.0.0.0", "--port", "1"])
    assert r.exit_code == 1
    assert "refusing to listen on 0.0.0.0" in r.output and "BLOGSIFT_TOKEN" in r.output


# -- PostgreSQL ----------------------------------------------------------------------------------

@pytest.mark.postgres
def test_list_search_and_decide_on_postgresql(pg_url, monkeypatch):
    from blogsift.store import Store

    with Store(pg_url) as store:
        urls = seed(store)
        c = client_for(store, monkeypatch=monkeypatch)
        assert titles(c.get("/").text)[0] == "카카오 추천시스템 개편기"
        assert titles(c.get("/", params={"q": "추천"}).text) == ["카카오 추천시스템 개편기"]
        assert titles(c.get("/", params={"q": "VLLM router"}).text) == ["Serving LLMs at Netflix scale"]
        token = csrf_from(c.get("/").text)
        c.post("/act", data={"csrf_token": token, "url": urls["rec"], "action": "move", "track": "research",
                             "area": "nlp"})
        html = c.get("/?month=2026-10&track=research&area=nlp").text
        assert "카카오 추천시스템 개편기" in titles(html) and "moved by a person" in html
        assert c.get("/?month=2026-09").status_code == 200
