"""Enrichment, classification, ranking and selection: the curator's rules, one behaviour at a time."""

from __future__ import annotations

from datetime import UTC, datetime

from blogsift.classify import Classifier
from blogsift.config import Settings
from blogsift.enrich import canonical_url, enrich, find_duplicates
from blogsift.models import Classification, Decision, Enrichment, Post, Score, Source
from blogsift.rank import Ranker
from blogsift.select import Candidate, select

AWS_BLOG = Source(key="aws", name="AWS ML", feed_url="https://aws.example/feed", org="Amazon", aws=True)
COMPANY = Source(key="co", name="Co", feed_url="https://co.example/feed", org="Co", kind="company")
LAB = Source(key="lab", name="Lab", feed_url="https://lab.example/feed", org="Lab", kind="research")


def _post(url, title, text="", links=(), images=(), lang="en", day=1, source="co", pid=None) -> Post:
    return Post(url=url, title=title, source_key=source, text=text, links=list(links), images=list(images),
                lang=lang, published=datetime(2026, 10, day, tzinfo=UTC), id=pid)


def test_canonical_url_drops_tracking_and_fragments():
    assert canonical_url("HTTPS://Blog.Example.com:443/post?utm_source=rss&id=3#comments") == \
        "https://blog.example.com/post?id=3"
    assert canonical_url("https://ai.googleblog.com/2022/12/x.html?m=1") == "https://ai.googleblog.com/2022/12/x.html"


def test_enrich_finds_code_checkpoints_datasets_papers():
    e = enrich(_post("https://co.example/p", "T", links=[
        "https://github.com/org/repo/tree/main/src", "https://huggingface.co/org/model-7b",
        "https://huggingface.co/datasets/org/data", "https://arxiv.org/pdf/2401.01234v2.pdf",
        "https://huggingface.co/blog/some-post", "https://example.com/about"]))
    assert e.code_links == ["https://github.com/org/repo"]
    assert e.model_links == ["https://huggingface.co/org/model-7b"]
    assert e.dataset_links == ["https://huggingface.co/datasets/org/data"]
    assert e.paper_links == ["https://arxiv.org/abs/2401.01234"]


def test_series_part_two_links_part_one():
    p1 = _post("https://co.example/1", "리뷰 요약하기 1편: 데이터", day=1)
    p2 = _post("https://co.example/2", "리뷰 요약하기 2편: 서빙", links=["https://co.example/1"], day=8)
    e = enrich(p2, known_posts=[p1, p2])
    assert e.series.part == 2 and e.series.previous_urls == ["https://co.example/1"]
    assert enrich(p1, known_posts=[p1, p2]).series.previous_urls == []


def test_same_story_in_english_and_korean_is_one_group():
    shared = ["https://github.com/x/inferentia-llm", "https://huggingface.co/x/chat-7b"]
    text_en = "Cost per million tokens fell from 1.20 to 0.41; p50 latency 38 ms at batch 8."
    text_ko = "100만 토큰당 비용이 1.20에서 0.41로 감소; 배치 8에서 p50 지연 시간 38 ms."
    en = _post("https://aws.example/en", "Serve a 7B LLM", text_en, shared, ["https://i/fig.png"], day=2, source="aws", pid=1)
    ko = _post("https://aws.example/ko", "7B LLM 서빙하기", text_ko, shared, ["https://i/fig.png"], "ko", day=4,
               source="aws-ko", pid=2)
    other = _post("https://co.example/x", "Unrelated", "Nothing in common 99.", ["https://github.com/y/z"], pid=3)
    groups = find_duplicates([en, ko, other], {p.id: enrich(p) for p in (en, ko, other)})
    assert len(groups) == 1
    g = groups[0]
    assert g[2].duplicate_of == en.url and g[1].duplicate_of is None
    assert g[1].alternate_urls == [ko.url] and g[2].alternate_urls == [en.url]


def test_aws_track_only_for_posts_about_aws_services():
    clf = Classifier.default()
    about = clf.classify("Deploy a model on Amazon SageMaker serverless endpoints", source=AWS_BLOG)
    library = clf.classify("Introducing an open-source library for uncertainty quantification", source=AWS_BLOG)
    korean = clf.classify("Amazon Bedrock으로 생성형 AI 챗봇 만들기", source=AWS_BLOG, lang="ko")
    assert about.track == "aws" and korean.track == "aws"
    assert library.track == "business"


def test_off_topic_posts_are_out_of_scope_in_both_languages():
    clf = Classifier.default()
    assert not clf.classify("We are hiring backend engineers in Seoul", source=COMPANY).in_scope
    assert not clf.classify("사내 체육대회 후기", source=COMPANY).in_scope
    assert clf.classify("Real-time fraud detection with gradient boosting", source=COMPANY).in_scope


def _cls(track="business", area="nlp", in_scope=True):
    return Classification(in_scope, 0.9, track, 0.9, area, 0.9)


def test_rank_prefers_business_and_public_code_and_explains_why():
    ranker = Ranker()
    post = _post("https://co.example/p", "T", "x" * 3000 + " 40% faster, 12 ms p99 ")
    research = ranker.rank(post, _cls("research"), Enrichment("u"), LAB)
    business = ranker.rank(post, _cls("business"), Enrichment("u"), COMPANY)
    with_code = ranker.rank(post, _cls("business"), Enrichment("u", code_links=["https://github.com/a/b"]), COMPANY)
    assert with_code.total > business.total
    assert business.breakdown["business_case"] > research.breakdown["research"]
    assert any("public code (github.com/a/b)" in r for r in with_code.reasons)
    out = ranker.rank(post, _cls(in_scope=False), Enrichment("u"), COMPANY)
    assert out.total <= 0.1 and "out of scope" in out.reasons[-1]


def test_ranker_learns_toward_the_persons_choices():
    # a person who accepts posts with code and rejects those without: the code weight grows
    labelled = []
    for i in range(30):
        has_code = i % 2 == 0
        sig = {"business_case": 1.0, "research": 0.0, "aws_track": 0.0, "public_code": 1.0 if has_code else 0.0,
               "checkpoint": 0.0, "paper": 0.0, "depth": 0.5, "reputation": 0.7, "popularity": 0.0,
               "confidence": 0.9}
        labelled.append((sig, has_code))
    learned = Ranker.fit(labelled)
    assert learned.weights["public_code"] > Ranker().weights["public_code"]
    assert learned.model.startswith("ranker:learned")


def _cand(url, score, track="business", area="nlp", in_scope=True, day=3):
    return Candidate(post=_post(url, url, day=day), classification=_cls(track, area, in_scope),
                     score=Score(score))


def test_select_threshold_quota_and_person_decisions_win():
    settings = Settings()
    settings.curation.threshold = 0.5
    settings.curation.quota_per_area = 2
    cands = [_cand("https://e/a", 0.9), _cand("https://e/b", 0.8), _cand("https://e/c", 0.7),
             _cand("https://e/low", 0.2), _cand("https://e/off", 0.95, in_scope=False),
             _cand("https://e/rejected", 0.99)]
    decisions = [Decision("https://e/low", "accept", "person:kim"), Decision("https://e/rejected", "reject", "person:kim")]
    result = {s.candidate.post.url: s for s in select(cands, settings, decisions)}
    assert result["https://e/low"].selected and "person" in result["https://e/low"].reason
    assert not result["https://e/rejected"].selected and "rejected by a person" in result["https://e/rejected"].reason
    assert not result["https://e/off"].selected and "out of scope" in result["https://e/off"].reason
    chosen = [u for u in ("https://e/a", "https://e/b", "https://e/c") if result[u].selected]
    assert chosen == ["https://e/a"]          # the person's accept took one of the two places
    assert "quota" in result["https://e/b"].reason


def test_select_leaves_out_in_scope_posts_below_the_confidence_floor():
    settings = Settings()
    settings.curation.threshold = 0.1
    settings.curation.min_in_scope_conf = 0.8
    unsure = _cand("https://e/unsure", 0.9)
    unsure.classification.in_scope_conf = 0.6
    sure = _cand("https://e/sure", 0.8, area="cv")
    result = {s.candidate.post.url: s for s in select([unsure, sure], settings, [])}
    assert result["https://e/sure"].selected
    assert not result["https://e/unsure"].selected
    assert "60%" in result["https://e/unsure"].reason and "80%" in result["https://e/unsure"].reason
