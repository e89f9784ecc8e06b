"""`blogsift demo`: the whole pipeline over real HTTP against the bundled demo web."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blogsift.cli import app
from blogsift.demo import demo_posts

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "digest.md"
    db = out.parent / "demo.db"
    result = runner.invoke(app, ["demo", "--output", str(out), "--demo-db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.splitlines()[0])
    return out.read_text(encoding="utf-8"), report, db


def test_demo_digest_has_all_three_tracks_in_house_format(demo_output):
    text, report, _ = demo_output
    assert report["sources_failed"] == {}
    assert report["posts_new"] == len(demo_posts())
    tracks = re.findall(r"^## (\d)\. (.+)$", text, re.M)
    assert tracks == [("1", "Research"), ("2", "Business Cases and Implementations"), ("3", "AWS ML Only")]
    assert text.startswith("# Summary of Important AI & ML Blog Posts\n* NOTE: ")
    # a track heading is followed directly by its first area heading, areas keep their fixed index
    for m in re.finditer(r"^## (\d)\..*\n(.*)$", text, re.M):
        assert re.match(rf"### {m.group(1)}\.[1-4]\. ", m.group(2))
    for line in text.splitlines():
        if line.startswith("* ["):
            assert re.match(r"^\* \[.+ \((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}(, [^)]+)?\)\]\(http://127\.0\.0\.1:\d+/.+\)$", line), line


def test_demo_leaves_out_off_topic_posts(demo_output):
    text, _, _ = demo_output
    off = [p for p in demo_posts() if not p.in_scope]
    assert len(off) >= 8
    for p in off:
        assert p.path not in text, f"off-topic post selected: {p.title}"


def test_demo_aws_track_shows_no_org_and_others_do(demo_output):
    text, _, _ = demo_output
    aws = text.split("## 3. AWS ML Only", 1)[1]
    for line in aws.splitlines():
        if line.startswith("* ["):
            assert re.search(r"\((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\)\]", line), line
    assert "North AI)](" in text or "Streamly)](" in text or "한빛마켓)](" in text


def test_demo_links_code_and_series(demo_output):
    text, _, _ = demo_output
    assert "https://github.com/" in text
    assert "[1편](" in text and "도 읽어보세요." in text


def test_demo_one_story_in_two_languages_is_one_entry(demo_output):
    text, _, _ = demo_output
    entry_lines = [line for line in text.splitlines() if line.startswith("* [")]
    copies = [line for line in entry_lines if "/posts/inferentia-llm-serving.html" in line]
    assert len(copies) == 1, copies                       # one story, one entry
    other = "/cloudml-ko/" if "/cloudml/" in copies[0] else "/cloudml/"
    block = text.split(copies[0], 1)[1].split("\n* [", 1)[0]
    assert f"{other}posts/inferentia-llm-serving.html" in block   # ... with the other copy linked


def test_every_entry_records_who_wrote_its_summary(demo_output):
    from blogsift.store import Store
    _, _, db = demo_output
    store = Store(f"sqlite:///{db}")
    entries = store.list_entries()
    assert entries and all(e["summary_author"] == "extractive" for e in entries)
    store.close()


def _bullets(text: str) -> list[str]:
    return [line[6:] for line in text.splitlines() if line.startswith("    * ")]


def test_demo_bullets_read_as_notes(demo_output):
    text, _, _ = demo_output
    bullets = _bullets(text)
    assert bullets
    for b in bullets:
        # no opener ("At North AI we have been ...", "이 글에서는 ...") and no polite sentence ending
        assert not re.match(r"(At |I have been|This post|Our |.*오랫동안 고민해|이 글에서는|이번 글에서는)", b), b
        assert not re.search(r"(습니다|합니다|입니다)\.?$", b), b
    assert "한빛마켓는" not in text and "Server을" not in text


def test_demo_korean_prose_takes_the_right_particles():
    from blogsift.korean import attach

    expected = {"product-image-search": ("한빛마켓은", "CLIP, Faiss, Triton Inference Server를 중심으로", "CLIP이고"),
                "home-recommendation": ("한빛마켓은", "Redis를 중심으로", "Two-Tower고"),
                "sagemaker-korean-ocr": ("CloudScale은", "PaddleOCR을 중심으로", "Amazon SageMaker고")}
    for p in demo_posts():
        if p.slug in expected and p.lang == "ko":
            for phrase in expected[p.slug]:
                assert phrase in p.text, (p.slug, phrase)
        if p.lang == "ko" and p.area:
            tools = ", ".join(p.facts["tools"])
            assert f"{attach(tools, '을')} 중심으로" in p.text


def test_demo_entries_show_their_key_figure(demo_output):
    text, _, _ = demo_output
    figures = re.findall(r"^!\[([^\]]*)\]\(\./images/([^)]+)\)$", text, re.M)
    entries = [line for line in text.splitlines() if line.startswith("* [")]
    assert len(figures) == len(entries)                     # every demo post has an architecture figure
    assert all(alt.endswith("architecture") for alt, _ in figures)
    images = Path(demo_output[2]).parent / "images"
    for _, name in figures:
        data = (images / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 1000    # the diagram, never the author's avatar
