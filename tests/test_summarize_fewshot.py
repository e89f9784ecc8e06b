"""The LLM path learns from the person's own bullets on the nearest posts, and its bench runs against
any OpenAI-compatible endpoint (here a local server speaking the protocol)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chatserver import ChatServer, bullets

from blogsift.config import Settings
from blogsift.models import Classification, Post
from blogsift.summarize import LLMSummarizer
from blogsift.summarize.fewshot import Example, nearest_examples

ROOT = Path(__file__).resolve().parents[1]

PERSON = [  # (url, track, area, title, bullets) in the order the person accepted them
    ("https://e/1", "aws", "training_inference_mlops", "SageMaker 로드 테스트", ["SageMaker 엔드포인트 부하 테스트 = Locust → 인스턴스 선택"]),
    ("https://e/2", "business", "nlp", "챗봇 답변 생성", ["검색 + 생성 → 상담 챗봇 응답 시간 단축"]),
    ("https://e/3", "business", "recsys_etc", "홈 추천", ["Two-Tower 후보 생성 → 클릭률 11% 향상"]),
    ("https://e/4", "research", "cv", "Segmenting objects in video with memory attention",
     ["memory attention으로 video object segmentation, J&F 84.5"]),
    ("https://e/5", "business", "cv", "Image similarity search with CLIP embeddings",
     ["CLIP 이미지 임베딩 + Faiss로 유사 이미지 검색"]),
    ("https://e/6", "business", "training_inference_mlops", "Feature store rollout", ["Feast 피처 스토어 → 배포 주기 4주 → 1주"]),
]
POST = Post(url="https://blog.example.com/seg", title="Video object segmentation with memory attention", source_key="ex",
            lang="en", text="We segment objects in video with a memory attention model. J&F reaches 85.1 on DAVIS.")


def _settings(base_url: str) -> Settings:
    s = Settings()
    s.summary.llm, s.summary.llm_base_url, s.summary.llm_model = True, base_url, "m"
    s.summary.llm_retries = 0
    return s


def test_nearest_examples_prefer_the_same_area_then_similar_text():
    pool = [Example(title=t, bullets=b, area=a, track=tr, url=u) for u, tr, a, t, b in PERSON]
    picked = nearest_examples(POST.title, POST.text, pool, 2, area="cv", track="research")
    assert [e.url for e in picked] == ["https://e/4", "https://e/5"]   # not the first two accepted
    # without an area, similar text alone decides; the post's own entry is never its example
    alone = nearest_examples(POST.title, POST.text, pool, 1, exclude_url="https://e/4")
    assert alone[0].url != "https://e/4"
    # the same area outweighs a closer text from another area
    title = "A feature store for our image models"
    assert nearest_examples(title, "", pool, 1)[0].url == "https://e/6"
    assert nearest_examples(title, "", pool, 1, area="cv")[0].area == "cv"


def test_prompt_carries_the_nearest_of_the_persons_summaries(store):
    for u, tr, a, t, b in PERSON:
        store.upsert_entry({"url": u, "track": tr, "area": a, "month": "2026-09", "title_md": t, "bullets": b,
                            "origin": "import", "summary_author": "person:import"})
    pid = store.upsert_post(POST)
    store.put_classification(pid, Classification(True, 0.9, "research", 0.8, "cv", 0.8))
    post = store.get_post(POST.url)
    with ChatServer([bullets("memory attention으로 video object segmentation, J&F 85.1")]) as srv:
        s = LLMSummarizer(_settings(srv.base_url), store).summarize(post, lang="ko")
    assert s.author == "llm:m"
    shown = " ".join(m["content"] for m in srv.requests[0]["body"]["messages"][1:-1])
    assert "J&F 84.5" in shown and "CLIP" in shown          # the two CV examples
    assert "Locust" not in shown and "상담 챗봇" not in shown  # the first ones accepted, far from this post
    last_example = srv.requests[0]["body"]["messages"][-2]["content"]
    assert "J&F 84.5" in last_example                        # the nearest sits next to the post


def _bench(tmp_path: Path, env: dict) -> dict:
    corpus = tmp_path / "corpus" / "blog"
    corpus.mkdir(parents=True)
    text = ("Our platform serves many teams and this post explains it.\n\n"
            "We moved model serving to ONNX Runtime on CPU and cut p99 latency from 80 ms to 18 ms. "
            "The feature store now serves 2 million lookups per second with Redis.")
    (corpus / "posts.jsonl").write_text(json.dumps({"url": "https://b/1", "title": "Serving on CPU", "lang": "en",
                                                    "text": text}) + "\n", encoding="utf-8")
    seed = tmp_path / "seed.jsonl"
    rows = [{"id": "s1", "url": "https://b/1", "title": "Serving on CPU", "track": "business",
             "area": "training_inference_mlops", "summary_bullets": ["ONNX Runtime으로 CPU 서빙 → p99 80 ms → 18 ms"]},
            {"id": "s2", "url": "https://b/2", "title": "Chatbot", "track": "business", "area": "nlp",
             "summary_bullets": ["검색 + 생성 챗봇"]}]
    seed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "summaries.py"), "--json", "--llm",
                          "--corpus", str(tmp_path / "corpus"), "--seed", str(seed)],
                         capture_output=True, text=True, env={**os.environ, **env}, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_bench_llm_reports_term_recall_and_language_share(tmp_path):
    with ChatServer([], default=bullets("ONNX Runtime으로 CPU 서빙, p99 80 ms → 18 ms")) as srv:
        result = _bench(tmp_path, {"BLOGSIFT_LLM_BASE_URL": srv.base_url, "BLOGSIFT_LLM_MODEL": "m"})
    llm = result["llm"]
    assert llm["posts"] == 2 and llm["posts_with_text"] == 1
    per = {p["id"]: p for p in llm["per_post"]}
    # s1: every curator term (onnx, runtime, cpu, p99, 80, ms, 18) is named; s2's reply was rejected
    # (it names what the post does not say) and the extractive fallback has nothing for a title-only post
    assert per["s1"]["recall"] == 1.0 and per["s1"]["author"] == "llm:m"
    assert per["s2"]["author"] == "extractive"
    assert llm["bullets_in_digest_language"] == 1.0
    assert result["posts_with_bullets"] == 1.0        # the extractive part ran too
    sent = [m["content"] for m in srv.requests[0]["body"]["messages"]]
    assert not any("ONNX Runtime으로 CPU 서빙 → p99" in c for c in sent)   # never its own bullets


def test_bench_without_endpoint_says_so_and_runs_the_extractive_part(tmp_path):
    env = {"BLOGSIFT_LLM_BASE_URL": "", "BLOGSIFT_LLM_MODEL": ""}
    result = _bench(tmp_path, env)
    assert "no LLM endpoint" in result["llm"]["skipped"]
    assert result["posts_with_bullets"] == 1.0 and result["fragments"] == 0
