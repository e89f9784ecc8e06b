"""`blogsift classify`: each record names the blog behind it and is filed by what that blog is; bad
lines get a clear error naming the line, the rest is still classified, and the exit code says so."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from blogsift.cli import app

runner = CliRunner()


def _run(tmp_path, records: list) -> tuple[int, list[dict], str]:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = runner.invoke(app, ["--db", str(tmp_path / "s.db"), "classify", "-i", str(src), "-o", str(out)])
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return r.exit_code, rows, r.output


def test_research_labs_are_research_and_the_source_is_named(tmp_path):
    code, rows, output = _run(tmp_path, [
        {"title": "Mixture-of-Experts with Expert Choice Routing", "org": "Google",
         "url": "https://ai.googleblog.com/2022/11/mixture-of-experts-with-expert-choice.html"},
        {"title": "Teaching AI advanced mathematical reasoning", "org": "Meta",
         "url": "https://ai.facebook.com/blog/ai-math-theorem-proving/"},
        {"title": "Building a real-time feature store for ride pricing", "org": "Lyft",
         "url": "https://eng.lyft.com/building-a-real-time-feature-store-1234"},
        {"title": "Transformers for tabular data", "org": "Nobody", "url": "https://blog.unknown.example/post"},
    ])
    assert code == 0, output
    assert [r["source"] for r in rows] == ["google-research", "meta-ai", "lyft", None]
    assert [r["track"] for r in rows[:3]] == ["research", "research", "business"]


def test_a_records_own_kind_wins(tmp_path):
    title = "Mixture-of-Experts with Expert Choice Routing"
    url = "https://ai.googleblog.com/2022/11/mixture-of-experts-with-expert-choice.html"
    code, rows, _ = _run(tmp_path, [{"title": title, "url": url}, {"title": title, "url": url, "kind": "company"}])
    assert code == 0
    assert [r["track"] for r in rows] == ["research", "business"]


def test_aws_blog_entries_follow_the_house_rule_on_organisations(tmp_path):
    url = "https://aws.amazon.com/ko/blogs/machine-learning/power-recommendations-and-search-using-an-imdb-knowledge-graph/"
    code, rows, _ = _run(tmp_path, [
        {"title": "Power recommendations and search using an IMDb knowledge graph", "url": url, "org": None},
        {"title": "Power recommendations and search using an IMDb knowledge graph", "url": url, "org": "Amazon"},
        {"title": "Deploy models on Amazon SageMaker serverless endpoints", "url": url},
        {"title": "Introducing Fortuna: a library for uncertainty quantification", "url": url},
    ])
    assert code == 0
    assert [r["track"] for r in rows] == ["aws", "business", "aws", "business"]
    assert {r["source"] for r in rows} == {"aws-ml-ko"}


def test_bad_lines_are_named_and_the_rest_is_classified(tmp_path):
    good = {"title": "Scaling recommendation models on GPUs", "url": "https://netflixtechblog.com/scaling-recs-1"}
    code, rows, output = _run(tmp_path, [
        good,
        {"url": "https://netflixtechblog.com/no-title"},
        {"title": "   ", "url": "https://netflixtechblog.com/blank"},
        {"title": "Local file", "url": "file:///etc/passwd"},
        {"title": "Script", "url": "javascript:alert(1)"},
        {"title": "Lab post", "url": "https://example.com/x", "kind": "laboratory"},
        "{not json",
        "[1, 2]",
        good,
    ])
    assert code == 1
    assert len(rows) == 2 and all(r["title"] == good["title"] for r in rows)
    for n, words in [(2, "no title"), (3, "no title"), (4, "http(s)"), (5, "http(s)"), (6, "unknown kind"),
                     (7, "not JSON"), (8, "not a JSON object")]:
        assert f"in.jsonl:{n}: " in output and words in output.split(f"in.jsonl:{n}: ")[1].splitlines()[0]
    assert "7 of 9 lines" in output
