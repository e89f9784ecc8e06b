"""The review app in real headless Chromium: accept (by keyboard), reject, move and edit, then the digest.

The app runs under uvicorn on a free 127.0.0.1 port against a tmp SQLite store seeded through the store
API. Screenshots of the main page and the edit view go to ``tests/artifacts/``.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from appserver import serve_app

from blogsift.config import Settings
from blogsift.models import Classification, Post, Score, Source, Summary
from blogsift.web import create_app

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

SOURCES = [
    Source(key="kakao", name="카카오 기술 블로그", feed_url="https://tech.kakao.example/feed", org="카카오", lang="ko"),
    Source(key="netflix", name="Netflix TechBlog", feed_url="https://netflix.example/feed", org="Netflix"),
    Source(key="deepmind", name="Google DeepMind", feed_url="https://deepmind.example/feed", org="DeepMind"),
    Source(key="aws-ml", name="AWS Machine Learning Blog", feed_url="https://aws.example/feed", org="Amazon", aws=True),
    Source(key="eugene", name="Eugene Yan", feed_url="https://eugeneyan.example/feed", kind="individual"),
]

# key, title, source, day, track, area, score, reasons, bullets
POSTS = [
    ("reco", "카카오 추천시스템 개편기: 실시간 피처 스토어", "kakao", 3, "business", "recsys_etc", 0.86,
     ["business case +0.30", "public code (GitHub) +0.20", "source reputation +0.12"],
     ["실시간 피처 스토어 도입 → 추천 지연 시간 40% 감소", "[코드](https://github.com/kakao/example) 공개"]),
    ("llm", "Serving LLMs at Netflix scale", "netflix", 9, "business", "training_inference_mlops", 0.79,
     ["business case +0.30", "technical depth +0.18"], ["vLLM 기반 서빙 + 자체 라우터", "GPU 활용률 2배"]),
    ("seg", "Segment anything on phones", "deepmind", 12, "research", "cv", 0.71,
     ["checkpoint on Hugging Face +0.20", "research track"], ["증류된 분할 모델", "모바일에서 30 FPS"]),
    ("hyper", "Train foundation models with SageMaker HyperPod", "aws-ml", 14, "aws", "training_inference_mlops",
     0.68, ["AWS ML blog", "step-by-step guide +0.10"], ["HyperPod 클러스터 구성 → 장애 자동 복구"]),
    ("evals", "Patterns for building LLM-based systems", "eugene", 15, "research", "nlp", 0.64,
     ["technical depth +0.22", "popular on Hacker News +0.15"], ["평가, RAG, 가드레일 등 7가지 패턴 정리"]),
    ("promo", "Our new office opens in Seoul", "netflix", 16, "business", "recsys_etc", 0.21,
     ["no technical content −0.25"], ["새 사무실 개소 소식"]),
    ("asr", "카카오 음성인식 모델 경량화", "kakao", 18, "business", "nlp", 0.58,
     ["business case +0.30"], ["지식 증류로 모델 크기 1/4"]),
    ("rl", "Reinforcement learning for chip placement", "deepmind", 20, "research", "recsys_etc", 0.55,
     ["research track"], ["칩 배치를 강화학습으로 → 설계 시간 단축"]),
    ("bedrock", "Build a RAG chatbot with Amazon Bedrock", "aws-ml", 22, "aws", "nlp", 0.52,
     ["AWS ML blog"], ["Bedrock + OpenSearch로 RAG 구성"]),
    ("feat", "Feature stores are not dead", "eugene", 24, "business", "training_inference_mlops", 0.47,
     ["opinion piece"], ["피처 스토어 필요성 재검토"]),
]


def seed(store) -> dict[str, str]:
    for s in SOURCES:
        store.upsert_source(s)
    urls = {}
    for key, title, source, day, track, area, score, reasons, bullets in POSTS:
        url = f"https://{source}.example/posts/{key}"
        pid = store.upsert_post(Post(url=url, title=title, source_key=source, lang="ko" if source == "kakao" else "en",
                                     published=datetime(2026, 10, day, 9, tzinfo=UTC),
                                     text=f"{title}. " + " ".join(bullets)))
        store.put_classification(pid, Classification(True, 0.95, track, 0.82, area, 0.7, model="clf:test"))
        store.put_score(pid, Score(total=score, breakdown={"signal": score}, reasons=reasons))
        store.put_summary(pid, Summary(bullets=bullets, author="extractive"))
        urls[key] = url
    return urls


@pytest.fixture
def served(store, monkeypatch):
    urls = seed(store)
    settings = Settings()
    settings.review = dataclasses.replace(settings.review, author="mina")
    monkeypatch.delenv(settings.review.token_env, raising=False)
    with serve_app(create_app(store, settings)) as base:
        yield base, store, urls


def _sections(markdown: str) -> dict[str, list[str]]:
    """``### N.M. Area`` heading → the entry lines under it."""
    out: dict[str, list[str]] = {}
    current = None
    for line in markdown.splitlines():
        if line.startswith("### "):
            current = line[4:].strip()
            out[current] = []
        elif line.startswith("## "):
            current = None
        elif current and line.startswith("* "):
            out[current].append(line)
    return out


def test_review_session_in_chromium(served):
    from playwright.sync_api import expect, sync_playwright

    base, store, urls = served
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(base + "/")
            rows = page.locator("li.post")
            expect(rows).to_have_count(10)
            expect(rows.first).to_contain_text("카카오 추천시스템 개편기")   # best score first
            page.locator("#p-1 details.reasons summary").click()
            expect(page.locator("#p-1 details.reasons li").first).to_have_text("business case +0.30")

            # accept the first post with the keyboard: j selects it, a accepts it
            page.keyboard.press("j")
            expect(rows.first).to_have_class(re.compile(r"\bcurrent\b"))
            with page.expect_navigation():
                page.keyboard.press("a")
            reco = page.locator(f'li.post[data-url="{urls["reco"]}"]')
            expect(reco.locator(".badge")).to_have_text("accepted")
            expect(reco).to_have_class(re.compile(r"\bcurrent\b"))   # back on the row it acted on

            # reject a post by its button
            promo = page.locator(f'li.post[data-url="{urls["promo"]}"]')
            with page.expect_navigation():
                promo.get_by_role("button", name="Reject").click()
            expect(promo.locator(".badge")).to_have_text("rejected")

            # move a post to another track and area, then accept it there
            evals = page.locator(f'li.post[data-url="{urls["evals"]}"]')
            evals.locator('select[name="track"]').select_option("business")
            evals.locator('select[name="area"]').select_option("nlp")
            with page.expect_navigation():
                evals.get_by_role("button", name="Move").click()
            expect(evals.locator(".place")).to_have_text("Business / NLP")
            with page.expect_navigation():
                evals.get_by_role("button", name="Accept").click()
            expect(evals.locator(".badge")).to_have_text("accepted")

            # filters and Korean search keep working in the page
            page.fill("#search", "피처")
            with page.expect_navigation():
                page.press("#search", "Enter")
            expect(rows).to_have_count(2)   # reco (title) and feat (text)
            with page.expect_navigation():
                page.locator('.filters select[name="status"]').select_option("accepted")
            expect(rows).to_have_count(1)
            page.goto(base + "/")

            # edit a post's title emphasis and bullets, then save and accept
            seg = page.locator(f'li.post[data-url="{urls["seg"]}"]')
            with page.expect_navigation():
                seg.get_by_role("link", name="Edit").click()
            page.fill("#title_md", "*Segment Anything* on Phones with **MediaPipe**")
            page.fill("#bullets", "증류된 분할 모델 → 모바일 30 FPS\n[코드](https://github.com/example/sam-mobile) 공개")
            page.screenshot(path=str(ARTIFACTS / "review-edit.png"), full_page=True)
            with page.expect_navigation():
                page.get_by_role("button", name="Save and accept").click()
            expect(seg.locator(".badge")).to_have_text("accepted")
            expect(seg.locator(".digest-title")).to_have_text("*Segment Anything* on Phones with **MediaPipe**")
            page.locator(f'li.post[data-url="{urls["llm"]}"] details.reasons summary').click()
            page.screenshot(path=str(ARTIFACTS / "review-main.png"), full_page=True)

            # the digest preview shows the accepted, moved and edited entries, not the rejected one
            page.get_by_role("link", name="Digest preview").click()
            markdown = page.locator("#digest").inner_text()
        finally:
            browser.close()

    assert problems == []   # no script errors, nothing blocked by the content security policy
    assert urls["promo"] not in markdown
    sections = _sections(markdown)
    assert any(urls["reco"] in line for line in sections["2.3. RecSys, etc."])
    assert any(urls["evals"] in line for line in sections["2.2. NLP"])          # moved from research/nlp
    seg_line = next(line for line in sections["1.1. CV"] if urls["seg"] in line)
    assert "*Segment Anything* on Phones with **MediaPipe**" in seg_line
    assert "    * 증류된 분할 모델 → 모바일 30 FPS" in markdown
    assert [d.author for d in store.decisions_for(urls["evals"])] == ["person:mina", "person:mina"]
    assert [d.action for d in store.decisions_for(urls["seg"])] == ["edit_title", "edit_summary", "accept"]
    assert (ARTIFACTS / "review-main.png").stat().st_size > 10_000
    assert (ARTIFACTS / "review-edit.png").stat().st_size > 10_000
