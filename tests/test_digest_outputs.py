"""The machine's Markdown by the house rules, and the HTML page, Atom feed and JSON outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest

from blogsift.config import Settings
from blogsift.digest import (DigestEntry, header_from_settings, parse_digest, render_atom, render_html, render_json,
                             render_markdown)

from test_digest_roundtrip import seed_entries

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
HOSTILE_TITLE = '<script>alert("x")</script> **Evil** [click](javascript:alert(1))'


def E(track, area, month, url, seq, org="Org", **kw) -> DigestEntry:
    return DigestEntry(track=track, area=area, month=month, title_md=kw.pop("title", url.rsplit("/", 1)[-1]),
                       url=url, org=org, seq=seq, **kw)


def test_house_rules_of_the_machine_markdown():
    entries = [
        E("aws", "training_inference_mlops", "2022-12", "https://a.example/aws1", 1, org="Amazon"),
        E("research", "nlp", "2022-11", "https://a.example/r1", 2),
        E("research", "nlp", "2023-01", "https://a.example/r2", 5, org=None),
        E("research", "nlp", "2022-11", "https://a.example/r3", 3),
        E("research", "nlp", "2023-01", "https://a.example/r4", 4),
        E("business", "recsys_etc", "2022-02", "https://a.example/b1", 6, bullets=["하나", "둘"],
          images=[{"alt": "fig", "src": "./images/fig.png"}]),
    ]
    text = render_markdown(entries, header=["# T", "* NOTE: n"])
    assert text == (
        "# T\n* NOTE: n\n\n"
        "## 1. Research\n### 1.2. NLP\n"
        "* [r4 (Jan 2023, Org)](https://a.example/r4)\n"
        "* [r2 (Jan 2023)](https://a.example/r2)\n"
        "* [r1 (Nov 2022, Org)](https://a.example/r1)\n"
        "* [r3 (Nov 2022, Org)](https://a.example/r3)\n\n"
        "## 2. Business Cases and Implementations\n### 2.3. RecSys, etc.\n"
        "* [b1 (Feb 2022, Org)](https://a.example/b1)\n    * 하나\n    * 둘\n![fig](./images/fig.png)\n\n"
        "## 3. AWS ML Only\n### 3.4. Training, Inference and MLOps\n"
        "* [aws1 (Dec 2022)](https://a.example/aws1)\n")
    # the order is stable: shuffling the input changes nothing
    assert render_markdown(list(reversed(entries)), header=["# T", "* NOTE: n"]) == text


def test_default_header_is_korean_and_configurable():
    default = render_markdown([])
    assert default.startswith("# Summary of Important AI & ML Blog Posts\n* NOTE: ")
    assert sum(1 for ln in default.split("\n") if ln.startswith("  * ")) >= 5
    s = Settings()
    s.digest.note = "내가 고른 글"
    s.digest.criteria = ["기준 하나"]
    assert render_markdown([], header_from_settings(s)) == \
        "# Summary of Important AI & ML Blog Posts\n* NOTE: 내가 고른 글\n  * 기준 하나\n"


def _hostile_entries() -> list[DigestEntry]:
    return seed_entries() + [
        E("research", "cv", "2023-01", "https://evil.example/post", 99, title=HOSTILE_TITLE,
          bullets=['<img src=x onerror=alert(1)> [링크](javascript:alert(2)) <b>굵게</b>']),
        E("research", "cv", "2023-01", "javascript:alert(3)", 100, title="Script URL"),
    ]


def test_html_is_self_contained_and_inert():
    page = render_html(_hostile_entries())
    assert "<script" not in page.lower() and "<img" not in page
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page   # the hostile title, as text
    assert 'src="http' not in page and "<link" not in page             # no external assets
    assert "Script URL" not in page                                    # the entry with a script URL is left out
    assert "<em>Atlas</em>" in page and "<strong>PyTorch 2</strong>" in page
    assert '<a href="https://github.com/QData/TextAttack">TextAttack</a>' in page


def test_html_embeds_local_figures(tmp_path):
    (tmp_path / "images").mkdir()
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
    (tmp_path / "images" / "feature_platform.png").write_bytes(png)
    page = render_html(seed_entries(), base_dir=tmp_path)
    assert 'src="data:image/png;base64,' in page and "./images/" not in page


def test_atom_feed_is_valid():
    xml = render_atom(_hostile_entries())
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Summary of Important AI & ML Blog Posts"
    assert feed.version == "atom10" and len(feed.entries) == 44
    first = feed.entries[0]
    assert first.id == first.link and first.link.startswith("https://")
    assert all(e.link.startswith(("http://", "https://")) for e in feed.entries)
    titles = {e.title for e in feed.entries}
    assert "Atlas: Few-Shot Learning with Retrieval Augmented LMs" in titles
    assert 'href="javascript' not in xml and "<script" not in xml
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in xml   # the hostile title, as text
    assert feed.feed.updated.startswith("2023-01-01")


def test_json_output():
    data = json.loads(render_json(seed_entries()))
    assert data["version"] == 1 and len(data["entries"]) == 43
    first = data["entries"][0]
    assert first["section"] == "1.1" and first["title"] == "Autoencoders and Diffusers: A Brief Comparison"
    beam = next(e for e in data["entries"] if e["url"] == "https://tech.scatterlab.co.kr/apache-beam-3/")
    assert [link["see_also"] for link in beam["links"]] == [True, True]


def test_outputs_of_a_parsed_digest_keep_its_order():
    text = ("# D\n\n## 1. Research\n### 1.1. CV\n* [Old (Nov 2002, X)](https://a.example/old)\n"
            "* [New (Jan 2023)](https://a.example/new)\n")
    data = json.loads(render_json(parse_digest(text)))
    assert [e["url"] for e in data["entries"]] == ["https://a.example/old", "https://a.example/new"]


@pytest.mark.browser
def test_html_in_headless_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    page_path = tmp_path / "digest.html"
    page_path.write_text(render_html(_hostile_entries()), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1400})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri())
            assert page.locator("li.entry").count() == 44
            assert page.locator("h2").all_inner_texts() == [
                "1. Research", "2. Business Cases and Implementations", "3. AWS ML Only"]
            assert page.locator("script").count() == 0
            hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
            assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
            hostile = page.locator("li.entry", has_text="Evil").first
            assert '<script>alert("x")</script>' in hostile.inner_text()
            assert page.locator("img").count() == 0 and dialogs == []
            assert requests == [page_path.as_uri()]        # nothing fetched but the page itself
            box = page.locator("h1").bounding_box()
            assert box and box["width"] > 200
            page.screenshot(path=str(ARTIFACTS / "digest.png"), full_page=True)
        finally:
            browser.close()
