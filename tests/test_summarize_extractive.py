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
