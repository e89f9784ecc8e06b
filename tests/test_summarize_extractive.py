"""The offline extractive summarizer on English and Korean posts, and the `summarize` verb."""

from __future__ import annotations

import json
import re

from chatserver import ChatServer, bullets
from typer.testing import CliRunner

from blogsift.cli import app
from blogsift.enrich import enrich
from blogsift.models import Post
from blogsift.summarize import ExtractiveSummarizer, split_sentences

EN = """In this post, we describe how we rebuilt search ranking for our marketplace. The old ranker was a \
hand-tuned linear model that had not changed in three years.

We trained a LightGBM LambdaMART model on 40 million search sessions, using features from our feature store. \
Offline, NDCG@10 improved from 0.412 to 0.468. We served the model with ONNX Runtime inside the existing \
Java service, which kept p99 latency at 18 ms.

The online A/B test ran for 21 days and raised bookings per search by 3.2%. We also learned that stale \
features hurt more than a weaker model, e.g. prices older than one hour cost 1.1% of the gain.

The training pipeline is open source on GitHub, and the evaluation is described in our paper."""

KO = """이번 글에서는 추천 시스템의 후보 생성 단계를 개선한 과정을 소개합니다. 기존에는 인기 상품 위주의 규칙 기반 후보 \
생성을 사용했습니다.

우리는 투 타워 모델을 1,200만 건의 클릭 로그로 학습했습니다. 상품 임베딩은 Faiss로 색인했고 응답 시간은 25 ms였습니다. \
온라인 실험에서 클릭률이 11% 향상되었습니다.

앞으로는 실시간 피처를 추가할 예정입니다. 많은 관심 부탁드립니다."""


def _post(text, lang, links=(), title="T") -> Post:
    return Post(url="https://blog.example.com/p", title=title, source_key="ex", text=text, lang=lang, links=list(links))


def test_english_sentences_split_on_real_boundaries():
    sents = split_sentences("We use e.g. LightGBM. NDCG rose to 0.468 today. It works!", "en")
    assert sents == ["We use e.g. LightGBM.", "NDCG rose to 0.468 today.", "It works!"]


def test_english_summary_keeps_results_tools_and_links():
    post = _post(EN, "en", ["https://github.com/example/ranker", "https://arxiv.org/abs/2501.00001"])
    s = ExtractiveSummarizer(4).summarize(post, enrich(post), lang="ko")
    text = " ".join(s.bullets)
    assert 1 <= len(s.bullets) <= 4 and s.author == "extractive"
    assert "0.468" in text or "3.2%" in text
    assert "LightGBM" in text or "ONNX Runtime" in text
    assert "(https://github.com/example/ranker)" in text
    assert not any(b.lower().startswith("in this post") for b in s.bullets)
    # it states only what the post says: every number of a bullet is in the post
    for n in re.findall(r"\d+(?:\.\d+)?", re.sub(r"\[[^]]*\]\([^)]*\)", "", text)):
        assert n in EN


def test_korean_summary_is_terse_and_faithful():
    s = ExtractiveSummarizer(3).summarize(_post(KO, "ko"), lang="ko")
    assert 1 <= len(s.bullets) <= 3
    joined = " ".join(s.bullets)
    assert "11%" in joined or "25 ms" in joined
    assert not re.search(r"(습니다|합니다|입니다)$", joined)
    assert "관심 부탁" not in joined


def test_series_bullet_in_the_digest_language():
    p1 = Post(url="https://b/1", title="요약 1편", source_key="ex", text="x")
    p2 = Post(url="https://b/2", title="요약 2편", source_key="ex", text=KO, lang="ko", links=["https://b/1"])
    e = enrich(p2, known_posts=[p1, p2])
    assert "[1편](https://b/1)도 읽어보세요." in ExtractiveSummarizer().summarize(p2, e, lang="ko").bullets
    assert "Read [part 1](https://b/1) too." in ExtractiveSummarizer().summarize(p2, e, lang="en").bullets


def test_summarize_verb_jsonl_roundtrip(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"url": "https://b/p", "title": "Ranking", "text": EN}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "s.db"), "summarize", "-i", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    rec = json.loads(out.read_text(encoding="utf-8"))
    assert rec["provenance"] == "extractive" and rec["bullets"] and rec["title"] == "Ranking"


def test_summarize_verb_with_llm_endpoint(tmp_path, monkeypatch):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"url": "https://b/p", "title": "Ranking", "text": EN}) + "\n", encoding="utf-8")
    with ChatServer([bullets("LightGBM LambdaMART로 NDCG@10 0.412 → 0.468")]) as srv:
        cfg = tmp_path / "blogsift.toml"
        cfg.write_text(f'[summary]\nllm = true\nllm_base_url = "{srv.base_url}"\nllm_model = "m"\n')
        r = CliRunner().invoke(app, ["--config", str(cfg), "--db", str(tmp_path / "s.db"), "summarize", "-i", str(src)])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout.splitlines()[0])
    assert rec["provenance"] == "llm:m" and "0.468" in rec["bullets"][0]


MARKDOWN = """# Scaling retrieval

*Published on March 3, 2023*

Welcome back to our blog! Today we look at how we rebuilt retrieval for our
assistant, which answers questions from our help center.

## What we built

We replaced the BM25 retriever with a dense retriever trained on 2 million
question-answer pairs, served with Faiss on CPU.

```python
retriever = DenseRetriever(model="e5-base", index=FaissIndex(dim=768))
results = retriever.search("how do I reset my password?")
```

* Recall@10 rose from 0.61 to 0.78 on our held-out questions, and answer acceptance
  went up by 9%.
* For more information, see
* the docs

| model | recall@10 |
|---|---|
| BM25 | 0.61 |

The index holds 12 million passages and answers a query in 35 ms at the 99th percentile.
Here is how to try it:
"""


def test_markdown_post_gives_whole_sentences_without_code_markers_or_opening():
    post = _post(MARKDOWN, "en", title="Scaling retrieval")
    bullets = ExtractiveSummarizer(4).summarize(post, lang="ko").bullets
    assert bullets
    for b in bullets:
        assert not re.match(r"^\s*([*\-+>|#]|\d+\.)\s", b), b           # no list/heading/quote marker
        assert "=" not in b and "retriever.search" not in b, b           # no code line
        assert not b.lower().startswith(("welcome", "today we")), b      # not the opening
        assert not b.endswith(("see", "the", ":")), b                    # not a fragment
    text = " | ".join(bullets)
    assert "Recall@10 rose from 0.61 to 0.78 on our held-out questions, and answer acceptance went up by 9%" in text
    assert "35 ms" in text or "2 million" in text


def test_soft_wrapped_sentence_is_joined_but_extractor_lines_are_not():
    assert split_sentences("We trained the model on\nfour GPUs for a week.\n\nIt worked.", "en") == \
        ["We trained the model on four GPUs for a week.", "It worked."]
    # an extractor's text has one block per line: a heading line never runs into the paragraph below it
    assert split_sentences("Results\nintent accuracy rose to 93% on CPU.", "en") == \
        ["Results", "intent accuracy rose to 93% on CPU."]


def test_note_style_drops_what_the_post_says_about_itself():
    text = ("Our team runs search for a large marketplace and keeps improving it every quarter.\n\n"
            "In this post, we describe how we cut the p99 latency of ranking from 80 ms to 18 ms with ONNX Runtime.")
    bullets = ExtractiveSummarizer(2).summarize(_post(text, "en"), lang="ko").bullets
    assert bullets == ["Cut the p99 latency of ranking from 80 ms to 18 ms with ONNX Runtime"]


def test_korean_endings_become_note_endings():
    text = ("저희 팀은 검색 품질 문제를 오래 고민했습니다.\n\n나머지 구성 요소는 서빙 경로를 단순하게 만듭니다. "
            "클릭률이 11% 향상되었습니다.")
    bullets = ExtractiveSummarizer(3).summarize(_post(text, "ko"), lang="ko").bullets
    assert "나머지 구성 요소는 서빙 경로를 단순하게 만듦" in bullets
    assert "클릭률이 11% 향상됐음" in bullets
    terse = ExtractiveSummarizer(3).summarize(_post("서론입니다.\n\n응답 시간은 25 ms였습니다. 결과 지표는 LLM이었습니다.",
                                                    "ko"), lang="ko").bullets
    assert "응답 시간은 25 ms였음" in terse and "결과 지표는 LLM이었음" in terse
    assert not any("고민" in b for b in bullets)     # the opening


BAD_INPUT = {
    "all code": "```python\nimport torch\nmodel = torch.nn.Linear(4, 2)\nprint(model)\n```\n",
    "a table": "| model | accuracy |\n|---|---|\n| A | 0.91 |\n| B | 0.93 |\n",
    "a list of links": "\n".join(f"* [Post {i}](https://example.com/{i})" for i in range(30)),
    "images only": "![diagram](https://example.com/a.png)\n\n![chart](https://example.com/b.png)\n",
}


def test_bad_input_gets_a_reason_not_a_crash():
    for what, text in BAD_INPUT.items():
        s = ExtractiveSummarizer(4).summarize(_post(text, "en"), lang="ko")
        assert s.bullets == [] and s.note.startswith("no summary"), what


def test_a_200_kb_post_gets_a_short_summary():
    para = ("We trained a ranking model on {n} million sessions and cut latency to {n} ms with batching. "
            "The team also wrote a long retrospective about the migration and its many steps. ")
    text = "Intro sentence that opens the post and sets the scene for it.\n\n" + \
        "\n\n".join(para.format(n=i) for i in range(1, 1300))
    assert len(text) > 200_000
    s = ExtractiveSummarizer(4).summarize(_post(text, "en"), lang="ko")
    assert 1 <= len(s.bullets) <= 4 and all(len(b) < 200 for b in s.bullets)


def test_kiwi_loads_only_for_korean_and_lean(monkeypatch):
    import kiwipiepy

    from blogsift.summarize import extractive

    made = []
    real = kiwipiepy.Kiwi

    def recording_kiwi(*args, **kwargs):
        made.append(kwargs)
        return real(*args, **kwargs)

    extractive.kiwi.cache_clear()
    monkeypatch.setattr(kiwipiepy, "Kiwi", recording_kiwi)
    try:
        ExtractiveSummarizer(3).summarize(_post(EN, "en"), lang="ko")
        # a stray Korean word in English prose (a name, a language menu) is not Korean text
        stray = f"{EN}\n\nWe thank the reviewers, 김민수 and Sarah Chen, for their careful reading of this work.\n\n" \
                "Read this post in: English | 한국어 | 日本語"
        ExtractiveSummarizer(3).summarize(_post(stray, "en"), lang="ko")
        assert made == []                                  # English: Kiwi never created
        ExtractiveSummarizer(3).summarize(_post(KO, "ko"), lang="ko")
        assert made == [{"load_typo_dict": False, "load_multi_dict": False}]
    finally:
        extractive.kiwi.cache_clear()


def test_summarize_verb_says_why_there_is_no_summary(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"url": "https://b/c", "title": "Code", "text": BAD_INPUT["all code"]}) + "\n",
                   encoding="utf-8")
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "s.db"), "summarize", "-i", str(src)])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout.splitlines()[0])
    assert rec["bullets"] == [] and rec["note"].startswith("no summary")
