"""parse → render is the identity for house-format digests; the seed digest survives the trip with
every field; an import into an empty store renders back byte for byte (library and CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from blogsift.digest import (DigestEntry, entries_from_store, import_digest, parse_digest, render_digest,
                             render_from_store, render_markdown)
from blogsift.models import AREAS, TRACKS, Post

#: a house-format digest: facts of real posts, bullets written for the tests (tests/data/README.md)
HOUSE_DIGEST = Path(__file__).resolve().parent / "data" / "house_digest.jsonl"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TRACK_NAMES = {"research": "Research", "business": "Business Cases and Implementations", "aws": "AWS ML Only"}
AREA_NAMES = {"cv": "CV", "nlp": "NLP", "recsys_etc": "RecSys, etc.", "training_inference_mlops":
              "Training, Inference and MLOps"}


def seed_rows() -> list[dict]:
    with open(HOUSE_DIGEST, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def seed_entries() -> list[DigestEntry]:
    return [DigestEntry(track=r["track"], area=r["area"], month=r["month"], title_md=r["title_md"], url=r["url"],
                        org=r["org"], bullets=list(r["summary_bullets"]), images=[dict(i) for i in r["images"]],
                        seq=i + 1) for i, r in enumerate(seed_rows())]


def seed_digest_text() -> str:
    return render_markdown(seed_entries())


# -- property: random house-format digests -----------------------------------------------------------

EN_WORDS = ["Scaling", "Retrieval", "Models", "with", "for", "the", "Fast", "Inference", "Data", "Pipelines", "LMs",
            "*Atlas*", "**PyTorch 2**", "**Amazon SageMaker Clarify**", "*Stable Diffusion*", "(*CALM*)",
            "Part 1:", "Text-to-Image:", "\\[Draft\\]", "100%", "A/B", "vs.", "(Dec 2022)", "Ready-to-go", "–"]
KO_WORDS = ["루다,", "눈을", "뜨다!", "포토챗", "베타의", "멀티모달", "기술", "소개", "Apache Beam으로", "ML", "데이터",
            "파이프라인", "구축하기", "쿠팡", "로켓그로스의", "플랫폼:", "20개", "이상의"]
BULLET_BITS = ["① 미적 점수 레이블링과 예측", "② 자가 학습으로 임베딩 생성", "→", "←", "=", "vs.", "c.f.", "(예: 1000)",
               "1/ 헬프 봇 콘텐츠 순위 지정:", "[TextAttack](https://github.com/QData/TextAttack)으로",
               "[1편](https://tech.example.kr/apache-beam-1/)도 읽어보세요.", "`torch.compile`", "< 60s", "40~50%",
               "MSE 손실 최소화로 학습", "파인 튜닝 → 편향과 유해성 제거", "[oneDNN](https://intel.com/a_(b)#gs.x)",
               "**굵게**", "피쳐 스토어 ∈ 피쳐 플랫폼", "'파국적 망각'", "*기울임*"]
ORGS = [None, "Google", "Meta", "OpenAI", "스캐터랩", "쿠팡", "컬리", "Amazon"]


@st.composite
def entry_lines(draw) -> tuple[list[str], dict]:
    words = draw(st.lists(st.sampled_from(EN_WORDS + KO_WORDS), min_size=1, max_size=9))
    title = " ".join(words)
    year, mon = draw(st.integers(2002, 2030)), draw(st.integers(1, 12))
    org = draw(st.sampled_from(ORGS))
    slug = draw(st.sampled_from(["a", "b-c", "%EC%BF%A0%ED%8C%A1", "x_(y)", "p?m=1", "2022/12/post.html"]))
    url = f"https://blog.example.com/{draw(st.integers(0, 10**6))}/{slug}"
    date = f"{MONTHS[mon - 1]} {year}" + (f", {org}" if org else "")
    trail = draw(st.sampled_from(["", "", " ", "  "]))
    lines = [f"* [{title} ({date})]({url}){trail}"]
    indent = draw(st.sampled_from(["    ", "    ", "   "]))
    bullets = []
    for _ in range(draw(st.integers(0, 5))):
        bullet = " ".join(draw(st.lists(st.sampled_from(BULLET_BITS), min_size=1, max_size=5)))
        bullets.append(bullet)
        lines.append(f"{indent}* {bullet}{draw(st.sampled_from(['', '', ' ', '  ']))}")
    images = []
    for _ in range(draw(st.integers(0, 1))):
        name = draw(st.sampled_from(["feature_platform", "fig-1", "아키텍처"]))
        images.append({"alt": name, "src": f"./images/{name}.png"})
        lines.append(f"{draw(st.sampled_from(['', '    ']))}![{name}](./images/{name}.png)")
    return lines, {"title_md": title, "month": f"{year}-{mon:02d}", "org": org, "url": url, "bullets": bullets,
                   "images": images}


@st.composite
def digests(draw) -> tuple[str, list[dict]]:
    lines = ["# Summary of Important AI & ML Blog Posts", "* NOTE: 아래 글은 다음 기준으로 골랐음",
             "  * 중요도와 인기도를 기준으로 선정", ""]
    expected = []
    used_urls: set[str] = set()
    tracks = draw(st.lists(st.sampled_from(TRACKS), min_size=1, max_size=3, unique=True))
    blocks = []
    for track in sorted(tracks, key=TRACKS.index):
        t = TRACKS.index(track) + 1
        areas = draw(st.lists(st.sampled_from(AREAS), min_size=1, max_size=4, unique=True))
        first = True
        for area in sorted(areas, key=AREAS.index):
            block = [f"## {t}. {TRACK_NAMES[track]}"] if first else []
            first = False
            block.append(f"### {t}.{AREAS.index(area) + 1}. {AREA_NAMES[area]}")
            for _ in range(draw(st.integers(1, 3))):
                elines, fields = draw(entry_lines())
                if fields["url"] in used_urls:
                    continue
                used_urls.add(fields["url"])
                block.extend(elines)
                expected.append({**fields, "track": track, "area": area})
            blocks.append(block)
    for i, block in enumerate(blocks):
        lines.extend(block)
        if i < len(blocks) - 1 or draw(st.booleans()):
            lines.append("")
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    return text, expected


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(digests())
def test_random_digests_render_back_identically(case):
    text, expected = case
    digest = parse_digest(text)
    assert render_digest(digest) == text
    got = [{"title_md": e.title_md, "month": e.month, "org": e.org, "url": e.url, "bullets": e.bullets,
            "images": e.images, "track": e.track, "area": e.area} for e in digest.entries]
    assert got == expected


# -- the seed digest ---------------------------------------------------------------------------------

def test_seed_digest_round_trips_with_every_field():
    rows = {r["url"]: r for r in seed_rows()}
    text = seed_digest_text()
    digest = parse_digest(text, "seed.md")
    assert render_digest(digest) == text
    assert len(digest.entries) == len(rows) == 43
    assert digest.unknown_lines == [] and digest.problems == []
    for entry in digest.entries:
        row = rows[entry.url]
        assert (entry.track, entry.area, entry.month, entry.org) == (row["track"], row["area"], row["month"], row["org"])
        assert entry.title_md == row["title_md"]
        assert entry.bullets == row["summary_bullets"]
        assert entry.images == row["images"]
        assert [link.as_dict() for link in entry.links] == row["related_links"]
    assert digest.title == "Summary of Important AI & ML Blog Posts"
    assert digest.note and len(digest.criteria) >= 5


def test_seed_digest_follows_the_house_layout():
    text = seed_digest_text()
    assert "## 3. AWS ML Only\n### 3.3. RecSys, etc.\n" in text
    assert "### 3.4. Training, Inference and MLOps\n" in text
    assert "### 3.1." not in text and "### 3.2." not in text   # empty areas are left out
    # a blank line ends each area, the track heading is followed directly by its first area
    assert "\n\n## 2. Business Cases and Implementations\n### 2.1. CV\n" in text
    # AWS track: no org even though the pytorch/aws rows of other tracks show one
    aws = text.split("## 3. AWS ML Only")[1]
    assert ", Amazon)" not in aws and "(Jan 2023)](https://aws.amazon.com" in aws
    assert "    * [1편](https://tech.scatterlab.co.kr/apache-beam-1/)과" in text
    assert "\n![feature_platform](./images/feature_platform.png)\n" in text
    assert text.endswith(")\n") and not text.endswith("\n\n")


# -- through the store ---------------------------------------------------------------------------------

QUIRKY = (
    "# My Digest\r\n* NOTE: 내 기준\r\n  * 첫째  \r\n\r\n"
    "## 1. Research\r\n### 1.2. NLP\r\n"
    "* [Accelerating Text Generation with Confident Adaptive Language Modeling (*CALM*) (Dec 2022, Google)]"
    "(https://ai.googleblog.com/2022/12/accelerating-text-generation-with.html?m=1)  \r\n"
    "   * 3칸 들여쓰기 불릿 → 그대로  \r\n"
    "    * [이전 글](https://example.com/prev)도 읽어보세요.\r\n"
    "    ![fig](./images/fig.png)\r\n"
    "* [Old Post (Nov 2002, Meta)](https://example.com/old)\r\n"
    "메모: 다음 달에 다시 보기\r\n\r\n"
    "## 3. AWS ML Only\r\n### 3.4. Training, Inference and MLOps\r\n"
    "* [**Amazon SageMaker** \\[Preview\\] (December 2022)](https://aws.amazon.com/blogs/x%20y)"
)


def test_import_into_empty_store_renders_the_file_back(store, tmp_path):
    path = tmp_path / "digest.md"
    path.write_bytes(QUIRKY.encode("utf-8"))
    report = import_digest(store, path)
    assert report.entries == 3 and report.new == 3
    assert [line for line, _ in report.notes] == [12]       # the note line is reported and kept
    assert render_from_store(store) == QUIRKY
    rows = store.list_entries()
    assert {r["origin"] for r in rows} == {"import"} and {r["summary_author"] for r in rows} == {"person:import"}
    assert rows[0]["bullets"] == ["3칸 들여쓰기 불릿 → 그대로", "[이전 글](https://example.com/prev)도 읽어보세요."]
    assert rows[0]["extra"]["links"][0]["see_also"] is True
    assert store.get_document("digest_header") == "# My Digest\r\n* NOTE: 내 기준\r\n  * 첫째  \r\n"
    decisions = store.decisions_for(rows[0]["url"])
    assert [(d.action, d.author) for d in decisions] == [("accept", "import:digest.md")]
    import_digest(store, path)   # importing again changes nothing
    assert len(store.decisions_for(rows[0]["url"])) == 1 and render_from_store(store) == QUIRKY


def test_import_gives_an_existing_post_the_persons_summary(store, tmp_path):
    url = "https://example.com/old"
    store.upsert_post(Post(url=url, title="Old post", source_key="x"))
    text = "# D\n\n## 1. Research\n### 1.1. CV\n* [Old Post (Nov 2022)](https://example.com/old)\n    * 사람이 쓴 요약\n"
    (tmp_path / "d.md").write_text(text, encoding="utf-8")
    assert import_digest(store, tmp_path / "d.md").summaries == 1
    summary = store.get_summary(store.get_post(url).id)
    assert summary.bullets == ["사람이 쓴 요약"] and summary.by_person


def test_store_render_after_edits_keeps_the_rest_byte_for_byte(store, tmp_path):
    path = tmp_path / "seed.md"
    text = seed_digest_text()
    path.write_text(text, encoding="utf-8")
    import_digest(store, path)
    assert render_from_store(store) == text
    # a person edits one entry's bullets through the store, rejects another, a new one is accepted
    rows = {r["url"]: r for r in store.list_entries()}
    renate = "https://aws.amazon.com/blogs/machine-learning/automatically-retrain-neural-networks-with-renate/"
    stratego = "https://www.deepmind.com/blog/mastering-stratego-the-classic-game-of-imperfect-information"
    store.upsert_entry({"url": renate, "bullets": rows[renate]["bullets"][:1] + ["고친 불릿"], "origin": "person"})
    store.upsert_entry({"url": stratego, "status": "rejected", "origin": "person"})
    store.upsert_entry({"url": "https://example.com/new", "track": "research", "area": "cv", "month": "2023-01",
                        "title_md": "New *Model*", "org": "Meta", "bullets": ["새 글"], "origin": "machine"})
    out = render_from_store(store)
    assert "    * 고친 불릿\n" in out
    assert stratego not in out
    assert "### 1.1. CV\n* [New *Model* (Jan 2023, Meta)](https://example.com/new)\n    * 새 글\n* [Autoencoders" in out
    # everything else is as it was
    missing = [ln for ln in text.split("\n") if ln not in out.split("\n")]
    assert missing == [ln for ln in text.split("\n") if "Stratego" in ln or "지속적 학습 설정의 HPO" in ln]
    by_url = {e.url: e for e in entries_from_store(store)}
    assert by_url[renate].fmt is None            # rendered from its (edited) fields
    assert by_url["https://pytorch.org/blog/trace-analysis-for-masses/"].fmt is not None   # as written


def test_month_render_uses_house_rules_only(store, tmp_path):
    path = tmp_path / "seed.md"
    path.write_text(seed_digest_text(), encoding="utf-8")
    import_digest(store, path)
    out = render_from_store(store, month="2023-01")
    digest = parse_digest(out)
    assert {e.month for e in digest.entries} == {"2023-01"}
    assert out.startswith("# Summary of Important AI & ML Blog Posts\n")


# -- the CLI -------------------------------------------------------------------------------------------

@pytest.fixture
def cli(tmp_path, monkeypatch):
    typer_testing = pytest.importorskip("typer.testing")
    from blogsift.cli import app
    monkeypatch.chdir(tmp_path)
    runner = typer_testing.CliRunner()
    db = str(tmp_path / "cli.db")

    def invoke(*args):
        return runner.invoke(app, ["--db", db, *args], catch_exceptions=False)
    invoke.db = db
    return invoke


def test_cli_import_then_render_is_identical(cli, tmp_path):
    src = tmp_path / "digest.md"
    src.write_bytes(QUIRKY.encode("utf-8"))
    res = cli("import-digest", str(src))
    assert res.exit_code == 0, res.output
    res = cli("render", "--format", "md", "--output", str(tmp_path / "out.md"))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out.md").read_bytes() == src.read_bytes()
    for fmt in ("html", "atom", "json"):
        res = cli("render", "--format", fmt, "--output", str(tmp_path / f"out.{fmt}"))
        assert res.exit_code == 0, res.output
        assert "Confident Adaptive" in (tmp_path / f"out.{fmt}").read_text(encoding="utf-8")


def test_cli_import_reports_bad_lines_and_stores_nothing(cli, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("# D\n\n## 1. Research\n### 1.9. Vision\n* [No date](https://example.com/a)\n", encoding="utf-8")
    res = cli("import-digest", str(bad))
    assert res.exit_code == 1
    assert "bad.md:4" in res.output and "bad.md:5" in res.output
    res = cli("render", "--format", "json", "--output", "-")
    assert json.loads(res.stdout)["entries"] == []


def test_cli_publish_merges_and_keeps_a_backup(cli, tmp_path):
    from blogsift.store import Store
    src = tmp_path / "digest.md"
    src.write_text(seed_digest_text(), encoding="utf-8")
    assert cli("import-digest", str(src)).exit_code == 0
    store = Store(f"sqlite:///{cli.db}")
    store.upsert_entry({"url": "https://example.com/new", "track": "aws", "area": "cv", "month": "2023-01",
                        "title_md": "New", "org": "Amazon", "bullets": [], "origin": "machine"})
    store.close()
    edited = seed_digest_text().replace("    * 지속적 학습 설정의", "    * (메모) 지속적 학습 설정의")
    src.write_text(edited, encoding="utf-8")
    res = cli("publish", "--into", str(src))
    assert res.exit_code == 0, res.output
    assert "1 added" in res.output and "0 conflicts" in res.output
    out = src.read_text(encoding="utf-8")
    assert "(메모) 지속적 학습 설정의" in out
    assert "## 3. AWS ML Only\n### 3.1. CV\n* [New (Jan 2023)](https://example.com/new)\n\n### 3.3." in out
    assert (tmp_path / "digest.md.bak").read_text(encoding="utf-8") == edited
