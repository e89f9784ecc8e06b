"""The review app's figure picker in real headless Chromium: the candidates of a post are shown (fetched
through the guarded fetcher, served by the app itself), the person picks one or none, and the digest
follows their pick."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from localserver import LocalServer, Route
from test_figures import png
from appserver import serve_app
from test_web_browser import ARTIFACTS, CHROMIUM_ARGS

from blogsift.config import Settings
from blogsift.figures import attach_figures, person_choice
from blogsift.models import Classification, Post, Score, Source
from blogsift.web import create_app

pytestmark = pytest.mark.browser

URL = "https://eng.example.com/posts/search"


@pytest.fixture
def app_and_images(store, monkeypatch):
    images = LocalServer({"/arch.png": Route(body=png(600, 300, (20, 90, 160)), content_type="image/png"),
                          "/results.png": Route(body=png(500, 300, (200, 60, 40)), content_type="image/png"),
                          "/evil.svg": Route(body=b"<svg><script>alert(1)</script></svg>",
                                             content_type="image/svg+xml")})
    images.__enter__()
    store.upsert_source(Source(key="eng", name="Example Eng", feed_url="https://eng.example.com/feed", org="Example"))
    candidates = [{"src": images.url(p), "alt": alt, "caption": cap, "score": score, "position": i, "why": ["test"]}
                  for i, (p, alt, cap, score) in enumerate([
                      ("/arch.png", "architecture", "Figure 1: System architecture", 0.9),
                      ("/results.png", "results", "Figure 2: Latency results", 0.7),
                      ("/evil.svg", "diagram", "Figure 3: An SVG diagram", 0.4)])]
    pid = store.upsert_post(Post(url=URL, title="How we rebuilt search", source_key="eng", lang="en",
                                 published=datetime(2026, 10, 5, tzinfo=UTC), text="We rebuilt search.",
                                 figures=candidates))
    store.put_classification(pid, Classification(True, 0.9, "business", 0.8, "recsys_etc", 0.7))
    store.put_score(pid, Score(total=0.8, reasons=["test"]))
    store.upsert_entry({"url": URL, "post_id": pid, "track": "business", "area": "recsys_etc", "month": "2026-10",
                        "org": "Example", "title_md": "How We Rebuilt Search", "bullets": ["note"],
                        "origin": "machine", "status": "accepted", "summary_author": "extractive"})
    settings = Settings()
    settings.fetch.allow_private_addresses = True      # the image server is on 127.0.0.1
    settings.fetch.per_host_delay = 0.0
    settings.review = dataclasses.replace(settings.review, author="mina")
    monkeypatch.delenv(settings.review.token_env, raising=False)
    with serve_app(create_app(store, settings)) as base:
        yield base, store, pid, settings, images
    images.__exit__(None, None, None)


def test_person_picks_a_figure_or_none_in_chromium(app_and_images, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, store, pid, settings, images = app_and_images
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{base}/post/{pid}")
            panel = page.locator("#figures")
            expect(panel.locator("input[type=radio]")).to_have_count(4)         # three candidates and "none"
            expect(panel).to_contain_text("Figure 1: System architecture")
            shown = panel.locator("img")
            for i in range(2):   # the raster candidates are shown, served by the app itself
                expect(shown.nth(i)).to_have_js_property("complete", True)
                assert shown.nth(i).evaluate("img => img.naturalWidth") in (600, 500)
            assert shown.nth(2).evaluate("img => img.naturalWidth") == 0         # the SVG is refused
            page.screenshot(path=str(ARTIFACTS / "review-figures.png"), full_page=True)
            panel.get_by_label("Figure 2: Latency results").check()
            with page.expect_navigation():
                panel.get_by_role("button", name="Use this figure").click()
            expect(page.locator("#figures")).to_contain_text("your pick")
            expect(page.locator("#figures input[type=radio]").nth(1)).to_be_checked()
            assert person_choice(store, URL)["src"] == images.url("/results.png")

            # the digest follows the pick (with digest.images off: the pick alone asks for it)
            attach_figures(store, settings, tmp_path / "images")
            entry = store.get_entry(URL)
            assert (tmp_path / entry["images"][0]["src"]).read_bytes() == png(500, 300, (200, 60, 40))

            page.locator("#figures").get_by_label("No figure").check()
            with page.expect_navigation():
                page.locator("#figures").get_by_role("button", name="Use this figure").click()
            expect(page.locator("#figures")).to_contain_text("no figure")
        finally:
            browser.close()
    attach_figures(store, settings, tmp_path / "images")
    assert store.get_entry(URL)["images"] == []
    assert [d.action for d in store.decisions_for(URL)] == ["figure", "figure"]
    assert problems == []
