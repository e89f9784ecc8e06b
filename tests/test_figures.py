"""Key figures: candidates found on the page, the figure downloaded through the guarded fetcher and saved
beside the digest, refusals noted with the entry kept, a person's choice winning, and the figure lines
kept through parse → merge → render."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from localserver import LocalServer, Route
from PIL import Image

from blogsift.config import Settings
from blogsift.digest import parse_digest, render_digest
from blogsift.digest.merge import merge_into
from blogsift.extract import extract_post
from blogsift.figures import (FigureRefused, attach_figures, check_image, choose_figure, find_figures, figure_name,
                              pick_figure)
from blogsift.models import Post, Source
from blogsift.publish import write_digest

PAGE = """<!doctype html><html><head><meta property="og:image" content="/img/cover.jpg"></head><body>
<header><img src="/img/site-logo.png" alt="Example Eng"></header>
<article>
  <h1>How we rebuilt search</h1>
  <p class="byline"><img class="avatar" src="/img/jane.jpg" width="40" height="40" alt="Jane"> Jane Doe</p>
  <img src="/img/cover.jpg" alt="" class="hero">
  <p>We rebuilt search ranking with a two-tower model and served it with ONNX Runtime on CPU machines.
  The new ranker cut latency by half and improved bookings by 3.2% in a three-week test.</p>
  <figure><img src="/img/search-architecture.png" width="900" height="500" alt="">
    <figcaption>Figure 2: System architecture of the new ranking pipeline</figcaption></figure>
  <p>More text about the rollout and the lessons we learned on the way to production, with numbers.</p>
  <img src="/img/latency.png" alt="Latency results before and after">
  <img src="https://ads.doubleclick.net/pixel.gif?id=1" width="1" height="1" alt="">
  <div class="ad-slot"><img src="/img/sponsor.png" alt="Our sponsor"></div>
  <a class="share" href="https://twitter.com/share"><img src="/img/twitter-icon.png" alt="Share on Twitter"></a>
  <img src="/img/badge.svg" alt="build passing">
</article>
<footer><img src="/img/footer-logo.png" alt="logo"></footer>
</body></html>"""
BASE = "https://eng.example.com/posts/search"


def png(width: int = 400, height: int = 240, color=(30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (a decompression bomb's shape)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="9" height="9"/></svg>'


def test_candidates_rank_figures_and_never_logos_avatars_icons_pixels_or_ads():
    found = find_figures(lxml.html.document_fromstring(PAGE), BASE,
                         og_image="https://eng.example.com/img/cover.jpg")
    srcs = [c["src"].rsplit("/", 1)[-1] for c in found]
    assert srcs[:2] == ["search-architecture.png", "latency.png"]
    for junk in ("site-logo.png", "jane.jpg", "pixel.gif?id=1", "sponsor.png", "twitter-icon.png", "footer-logo.png"):
        assert junk not in srcs
    assert pick_figure(found)["caption"].startswith("Figure 2: System architecture")


def test_no_key_figure_when_no_image_says_it_is_one():
    page = "<html><body><article><p>Text.</p><img src='/a/photo-1234.jpg'></article></body></html>"
    assert pick_figure(find_figures(lxml.html.document_fromstring(page), BASE)) is None
    # a captioned, large photo is a photo: the caption must name a figure; a credited one is never a candidate
    page = ("<html><body><article><p>Text.</p><figure><img src='/a/team.jpg' width='1200'><figcaption>Our team "
            "at the offsite in Lisbon</figcaption></figure><figure><img src='/a/server-room.jpg' width='900'>"
            "<figcaption>The system room (Photo: Getty Images)</figcaption></figure></article></body></html>")
    found = find_figures(lxml.html.document_fromstring(page), BASE)
    assert [c["src"].rsplit("/", 1)[-1] for c in found] == ["team.jpg"] and pick_figure(found) is None


def test_extraction_hands_the_candidates_to_the_post():
    post = extract_post(PAGE.replace("<p>More", "<p>" + "Long enough article text. " * 30 + "More"), BASE, None,
                        Source(key="ex", name="Ex", feed_url="https://eng.example.com/feed"), 200)
    assert post.figures and post.figures[0]["src"].endswith("search-architecture.png")


@pytest.mark.parametrize("data,ctype,why", [
    (SVG_SCRIPT, "image/svg+xml", "SVG"),
    (SVG_SCRIPT, "image/png", "SVG"),                                     # an SVG served as a PNG
    (b"<html><body>not found</body></html>", "image/png", "not a PNG, JPEG"),
    (png(), "text/html; charset=utf-8", "not an image"),
    (png(1, 1), "image/png", "tracking pixel"),
    (png_claiming(8000, 8000), "image/png", "too large"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png", "broken image"),
])
def test_images_that_are_not_safe_figures_are_refused(data, ctype, why):
    with pytest.raises(FigureRefused, match=why):
        check_image(data, ctype)


def test_raster_images_pass():
    assert check_image(png(), "image/png") == ".png"
    out = io.BytesIO()
    Image.new("RGB", (300, 200)).save(out, format="JPEG")
    assert check_image(out.getvalue(), "image/jpeg; charset=binary") == ".jpg"


def _settings(images: bool = True, cap: int = 200_000) -> Settings:
    s = Settings()
    s.fetch.allow_private_addresses = True
    s.fetch.per_host_delay = 0.0
    s.fetch.retries = 0
    s.digest.images = images
    s.digest.image_max_bytes = cap
    return s


def _entry(store, url: str, candidates: list[str], *, origin: str = "machine") -> None:
    pid = store.upsert_post(Post(url=url, title="T", source_key="ex", published=datetime(2026, 10, 3, tzinfo=UTC),
                                 figures=[{"src": c, "alt": f"fig {i}", "caption": "System architecture",
                                           "score": 0.9 - i / 10, "position": i,
                                           "why": ["caption or alt text names a figure"]}
                                          for i, c in enumerate(candidates)]))
    store.upsert_entry({"url": url, "post_id": pid, "track": "business", "area": "nlp", "month": "2026-10",
                        "org": "Ex", "title_md": url.rsplit("/", 1)[-1], "bullets": ["note"], "origin": origin,
                        "status": "accepted", "summary_author": "extractive"})


ROUTES = {
    "/ok.png": Route(body=png(), content_type="image/png"),
    "/huge.png": Route(body=png(2000, 2000, None) + b"\x00" * 400_000, content_type="image/png"),
    "/script.svg": Route(body=SVG_SCRIPT, content_type="image/svg+xml"),
    "/page.png": Route(body=b"<html>login</html>", content_type="text/html"),
    "/to-private.png": Route(status=302, headers={"Location": "http://10.0.0.1/x.png"}),
    "/robots.txt": Route(body="User-agent: *\nAllow: /\n", content_type="text/plain"),
}


def test_figures_are_saved_beside_the_digest_and_refusals_noted(store, tmp_path):
    with LocalServer(ROUTES) as srv:
        _entry(store, "https://ex.com/posts/good", [srv.url("/ok.png")])
        _entry(store, "https://ex.com/posts/fallback", [srv.url("/huge.png"), srv.url("/ok.png")])
        for name in ("huge", "script", "page"):
            _entry(store, f"https://ex.com/posts/{name}", [srv.url(f"/{name}.{'svg' if name == 'script' else 'png'}")])
        out = tmp_path / "digest.md"
        notes: list[str] = []
        text = write_digest(store, _settings(), out, notes=notes).text
        again = write_digest(store, _settings(), out, notes=[]).text
    good = figure_name("https://ex.com/posts/good", srv.url("/ok.png"), ".png")
    assert (tmp_path / "images" / good).read_bytes() == png()
    lines = text.splitlines()
    at = lines.index("* [good (Oct 2026, Ex)](https://ex.com/posts/good)")
    assert lines[at + 1:at + 3] == ["    * note", f"![fig 0](./images/{good})"]
    # the first candidate too large: the next one is used, and the refusal is said
    assert "![fig 1](./images/fallback-" in text
    assert any("huge.png refused" in n and "more than" in n for n in notes), notes
    assert any("script.svg refused: an SVG image" in n for n in notes), notes
    assert any("page.png refused: not an image (content type text/html)" in n for n in notes), notes
    for name in ("huge", "script", "page"):   # the entry stays, without a figure
        assert f"(https://ex.com/posts/{name})" in text
        assert f"./images/{name}-" not in text
    saved = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert len(saved) == 2 and good in saved and any(n.startswith("fallback-") for n in saved)
    assert again == text          # stable names: a second write changes nothing


def test_redirect_to_a_private_address_is_refused(store, tmp_path):
    s = _settings()
    s.fetch.allow_private_addresses = False
    s.fetch.allowed_networks = ["127.0.0.1/32"]      # the test server itself, nothing else
    with LocalServer(ROUTES) as srv:
        _entry(store, "https://ex.com/posts/redirect", [srv.url("/to-private.png")])
        report = attach_figures(store, s, tmp_path / "images")
    assert report.attached == [] and "10.0.0.1" in report.notes[0] and "private" in report.notes[0]
    assert store.get_entry("https://ex.com/posts/redirect")["images"] == []


def test_a_persons_choice_wins_over_the_machine(store, tmp_path):
    with LocalServer({**ROUTES, "/other.png": Route(body=png(500, 300, (200, 30, 30)), content_type="image/png")}) as srv:
        _entry(store, "https://ex.com/posts/a", [srv.url("/ok.png"), srv.url("/other.png")])
        attach_figures(store, _settings(), tmp_path / "images")
        assert "a-" in store.get_entry("https://ex.com/posts/a")["images"][0]["src"]
        choose_figure(store, "https://ex.com/posts/a", "mina", None)          # no figure for this one
        attach_figures(store, _settings(), tmp_path / "images")
        assert store.get_entry("https://ex.com/posts/a")["images"] == []
        choose_figure(store, "https://ex.com/posts/a", "mina", srv.url("/other.png"))
        attach_figures(store, _settings(images=False), tmp_path / "images")   # a pick works with images off
        src = store.get_entry("https://ex.com/posts/a")["images"][0]["src"]
        assert (tmp_path / src).read_bytes() == png(500, 300, (200, 30, 30))
        # imported entries keep what the person's file says; with images off nothing is added
        _entry(store, "https://ex.com/posts/imported", [srv.url("/ok.png")], origin="import")
        _entry(store, "https://ex.com/posts/off", [srv.url("/ok.png")])
        attach_figures(store, _settings(images=False), tmp_path / "images")
        attach_figures(store, _settings(images=True), tmp_path / "images")
        assert store.get_entry("https://ex.com/posts/imported")["images"] == []
        with pytest.raises(Exception, match="not one of the post's figure candidates"):
            choose_figure(store, "https://ex.com/posts/a", "mina", "https://evil.example/x.png")


FILE = """# Summary of Important AI & ML Blog Posts
* NOTE: mine

## 2. Business Cases and Implementations
### 2.2. NLP
* [Alpha (Oct 2026, Ex)](https://ex.com/posts/alpha)
    * note a
![serv_arch](./images/alpha.png)
* [Beta (Oct 2026, Ex)](https://ex.com/posts/beta)
    * note b
"""


def test_parse_render_round_trip_keeps_figure_lines():
    digest = parse_digest(FILE)
    alpha = digest.entries[0]
    assert alpha.images == [{"alt": "serv_arch", "src": "./images/alpha.png"}]
    assert render_digest(digest) == FILE


def test_merge_keeps_figures_a_person_added_or_removed():
    from blogsift.digest.model import DigestEntry

    def machine(url, title, bullets, images):
        return DigestEntry(track="business", area="nlp", month="2026-10", title_md=title, url=url, org="Ex",
                           bullets=bullets, images=images)

    alpha_fig = [{"alt": "serv_arch", "src": "./images/alpha.png"}]
    beta_fig = [{"alt": "beta fig", "src": "./images/beta.png"}]
    base = merge_into("", [machine("https://ex.com/posts/alpha", "Alpha", ["note a"], alpha_fig),
                           machine("https://ex.com/posts/beta", "Beta", ["note b"], [])]).text
    # the person removes Alpha's figure and adds one of their own under Beta
    edited = base.replace("![serv_arch](./images/alpha.png)\n", "").replace(
        "    * note b\n", "    * note b\n![my pick](./images/mine.png)\n")
    # the machine publishes again: Alpha with its figure, Beta with a figure of its own
    result = merge_into(edited, [machine("https://ex.com/posts/alpha", "Alpha", ["note a"], alpha_fig),
                                 machine("https://ex.com/posts/beta", "Beta", ["note b"], beta_fig)], base_text=base)
    assert "![serv_arch](./images/alpha.png)" not in result.text          # removed by the person: stays removed
    assert "![my pick](./images/mine.png)" in result.text                 # added by the person: kept
    assert "./images/beta.png" not in result.text
    # a figure the machine adds to an entry nobody touched does appear
    result2 = merge_into(base, [machine("https://ex.com/posts/alpha", "Alpha", ["note a"], alpha_fig),
                                machine("https://ex.com/posts/beta", "Beta", ["note b"], beta_fig)], base_text=base)
    assert "![beta fig](./images/beta.png)" in result2.text
    assert render_digest(parse_digest(result.text)) == result.text


def test_stable_names_depend_on_post_and_image():
    a = figure_name("https://ex.com/blog/2023/my-post.html", "https://cdn.ex.com/a.png", ".png")
    assert a == figure_name("https://ex.com/blog/2023/my-post.html", "https://cdn.ex.com/a.png", ".png")
    assert a.startswith("my-post-") and a.endswith(".png")
    assert a != figure_name("https://ex.com/blog/2023/my-post.html", "https://cdn.ex.com/b.png", ".png")
    assert a == figure_name("https://ex.com/blog/2023/my-post.html", "http://cdn2.ex.com:8080/a.png", ".png")
    assert Path(figure_name("https://ex.com/../../etc/passwd", "x", ".png")).name == \
        figure_name("https://ex.com/../../etc/passwd", "x", ".png")


def test_publish_into_a_persons_file_saves_figures_beside_it(store, tmp_path):
    from typer.testing import CliRunner

    from blogsift.cli import app

    cfg = tmp_path / "blogsift.toml"
    cfg.write_text("[fetch]\nallow_private_addresses = true\nper_host_delay = 0.0\n\n[digest]\nimages = true\n")
    mine = tmp_path / "notes" / "my-list.md"
    mine.parent.mkdir()
    with LocalServer(ROUTES) as srv:
        _entry(store, "https://ex.com/posts/good", [srv.url("/ok.png")])
        _entry(store, "https://ex.com/posts/svg", [srv.url("/script.svg")])
        db = store.url.split("///", 1)[1]
        r = CliRunner().invoke(app, ["--config", str(cfg), "--db", db, "publish", "--into", str(mine)])
    assert r.exit_code == 0, r.output
    name = figure_name("https://ex.com/posts/good", srv.url("/ok.png"), ".png")
    assert (mine.parent / "images" / name).exists()
    assert f"![fig 0](./images/{name})" in mine.read_text(encoding="utf-8")
    assert "script.svg refused" in " ".join(r.output.split())
