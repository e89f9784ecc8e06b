"""A person's decisions (accept, reject, move, edit) on a real SQLite store, and the CLI verbs over them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from blogsift import review
from blogsift.models import Classification, Post, Score, Source, Summary
from blogsift.review import ReviewError


def _seed(store) -> dict[str, str]:
    store.upsert_source(Source(key="netflix", name="Netflix TechBlog", feed_url="https://netflixtechblog.com/feed",
                               org="Netflix", kind="company"))
    store.upsert_source(Source(key="aws-ml", name="AWS Machine Learning Blog", feed_url="https://aws.amazon.com/feed",
                               org="Amazon", kind="company", aws=True))
    urls = {}
    for key, url, title, source, track, area in [
        ("rec", "https://netflixtechblog.com/recs", "Foundation model for personalized recommendation",
         "netflix", "business", "recsys_etc"),
        ("sm", "https://aws.amazon.com/blogs/ml/sagemaker-hyperpod", "Train large models with SageMaker HyperPod",
         "aws-ml", "aws", "training_inference_mlops"),
        ("bare", "https://netflixtechblog.com/bare", "A post nobody classified yet", "netflix", None, None),
    ]:
        post = Post(url=url, title=title, source_key=source, published=datetime(2026, 10, 5, 9, tzinfo=UTC),
                    text="Some text about models.", lang="en")
        pid = store.upsert_post(post)
        if track:
            store.put_classification(pid, Classification(True, 0.9, track, 0.8, area, 0.7, model="clf:test"))
            store.put_score(pid, Score(total=0.7, breakdown={"business": 0.3}, reasons=["business case +0.30"]))
            store.put_summary(pid, Summary(bullets=["기계 요약 1", "기계 요약 2"], author="extractive"))
        urls[key] = url
    return urls


def test_accept_builds_the_entry_and_records_who_and_when(store):
    urls = _seed(store)
    before = datetime.now(UTC)
    entry = review.accept(store, urls["rec"], "ana")
    assert entry["status"] == "accepted" and entry["origin"] == "person"
    assert (entry["track"], entry["area"], entry["month"], entry["org"]) == ("business", "recsys_etc", "2026-10", "Netflix")
    assert entry["bullets"] == ["기계 요약 1", "기계 요약 2"]
    assert entry["title_md"]  # the house title of the post
    (decision,) = store.decisions_for(urls["rec"])
    assert decision.action == "accept" and decision.author == "person:ana"
    assert decision.payload == {"track": "business", "area": "recsys_etc"}
    assert decision.at >= before.replace(microsecond=0)
    assert [e["url"] for e in store.list_entries()] == [urls["rec"]]


def test_aws_entries_show_no_org_and_moving_out_restores_it(store):
    urls = _seed(store)
    assert review.accept(store, urls["sm"], "ana")["org"] is None
    moved = review.move(store, urls["sm"], "ana", "business", "training_inference_mlops")
    assert (moved["track"], moved["org"]) == ("business", "Amazon")
    back = review.move(store, urls["sm"], "ana", "aws", "training_inference_mlops")
    assert back["org"] is None
    payloads = [d.payload for d in store.decisions_for(urls["sm"]) if d.action == "move"]
    assert payloads[0]["from_track"] == "aws" and payloads[0]["track"] == "business"


def test_reject_keeps_the_post_out_even_without_an_entry(store):
    urls = _seed(store)
    entry = review.reject(store, urls["rec"], "ana", reason="marketing")
    assert entry["status"] == "rejected"
    assert store.list_entries() == []
    assert store.decisions_for(urls["rec"])[-1].payload == {"reason": "marketing"}
    # a post with no classification can be rejected too
    assert review.reject(store, urls["bare"], "ana")["status"] == "rejected"


def test_accepting_after_a_reject_counts_as_accepted_now(store):
    urls = _seed(store)
    review.reject(store, urls["rec"], "ana")
    review.accept(store, urls["sm"], "ana")
    review.accept(store, urls["rec"], "ana")
    assert [e["url"] for e in store.list_entries()] == [urls["sm"], urls["rec"]]


def test_move_and_title_edit_before_accepting_are_applied_on_accept(store):
    urls = _seed(store)
    assert review.move(store, urls["rec"], "ana", "research", "nlp") is None
    assert review.edit_title(store, urls["rec"], "ana", "Foundation Model for **Netflix** Recs") is None
    entry = review.accept(store, urls["rec"], "bo")
    assert (entry["track"], entry["area"]) == ("research", "nlp")
    assert entry["title_md"] == "Foundation Model for **Netflix** Recs"
    assert [d.action for d in store.decisions_for(urls["rec"])] == ["move", "edit_title", "accept"]
    assert store.decisions_for(urls["rec"])[-1].author == "person:bo"


def test_accept_needs_a_place_when_nothing_classified_the_post(store):
    urls = _seed(store)
    with pytest.raises(ReviewError, match="track and area"):
        review.accept(store, urls["bare"], "ana")
    entry = review.accept(store, urls["bare"], "ana", track="research", area="cv")
    assert (entry["track"], entry["area"]) == ("research", "cv")


def test_summary_edit_is_the_persons_and_no_machine_replaces_it(store):
    urls = _seed(store)
    review.accept(store, urls["rec"], "ana")
    entry = review.edit_summary(store, urls["rec"], "ana", "* 첫째 요점\n\n  둘째 요점 → 결과\n")
    assert entry["bullets"] == ["첫째 요점", "둘째 요점 → 결과"]
    assert entry["summary_author"] == "person:ana" and entry["origin"] == "person"
    post = store.get_post(urls["rec"])
    assert store.get_summary(post.id).author == "person:ana"
    assert store.put_summary(post.id, Summary(bullets=["machine"], author="extractive")) is False
    assert store.get_summary(post.id).bullets == ["첫째 요점", "둘째 요점 → 결과"]
    assert store.decisions_for(urls["rec"])[-1].payload == {"bullets": ["첫째 요점", "둘째 요점 → 결과"]}


def test_title_edit_on_an_entry(store):
    urls = _seed(store)
    review.accept(store, urls["rec"], "ana")
    entry = review.edit_title(store, urls["rec"], "ana", "  *UniRec*: a Foundation Model\n")
    assert entry["title_md"] == "*UniRec*: a Foundation Model"
    assert review.draft_title(store, urls["rec"]) == "*UniRec*: a Foundation Model"


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    "see [this](javascript:alert(1))",
    "see [this](JaVaScRiPt:alert(1))",
    "[x]: data:text/html;base64,AAAA",
    "click <img src=x onerror=alert(1)>",
    "[x](ftp://example.com/file)",
])
def test_unsafe_text_is_refused_and_nothing_is_recorded(store, text):
    urls = _seed(store)
    review.accept(store, urls["rec"], "ana")
    with pytest.raises(ReviewError):
        review.edit_title(store, urls["rec"], "ana", text)
    with pytest.raises(ReviewError):
        review.edit_summary(store, urls["rec"], "ana", ["fine", text])
    assert [d.action for d in store.decisions_for(urls["rec"])] == ["accept"]
    assert store.get_entry(urls["rec"])["bullets"] == ["기계 요약 1", "기계 요약 2"]


def test_links_to_the_web_are_fine_in_bullets(store):
    urls = _seed(store)
    review.accept(store, urls["rec"], "ana")
    entry = review.edit_summary(store, urls["rec"], "ana", ["[TextAttack](https://github.com/QData/TextAttack)으로 공격",
                                                           "a < b 이면 → 성공"])
    assert entry["bullets"][0].startswith("[TextAttack]")


def test_bad_requests_name_the_problem(store):
    urls = _seed(store)
    with pytest.raises(ReviewError, match="no post or digest entry"):
        review.accept(store, "https://nowhere.example/x", "ana")
    with pytest.raises(ReviewError, match="unknown track"):
        review.move(store, urls["rec"], "ana", "gossip", "nlp")
    with pytest.raises(ReviewError, match="name of the person"):
        review.reject(store, urls["rec"], "  ")
    with pytest.raises(ReviewError, match="empty"):
        review.edit_title(store, urls["rec"], "ana", "   ")
    assert store.all_decisions() == []


# -- the CLI verbs ---------------------------------------------------------------------------------

def test_cli_verbs_record_decisions(tmp_path, monkeypatch):
    from blogsift.cli import app
    from blogsift.store import Store

    monkeypatch.delenv("BLOGSIFT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "cli.db"
    with Store(f"sqlite:///{db}") as s:
        urls = _seed(s)
    runner = CliRunner()
    base = ["--db", str(db)]
    r = runner.invoke(app, base + ["accept", urls["rec"], "--author", "ana"])
    assert r.exit_code == 0, r.output
    assert "business/recsys_etc" in r.output
    r = runner.invoke(app, base + ["move", urls["rec"], "--track", "research", "--area", "nlp"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, base + ["edit", urls["rec"], "--title-md", "**Netflix** Recs",
                                   "--bullet", "하나", "--bullet", "둘"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, base + ["reject", urls["sm"], "--reason", "duplicate"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, base + ["move", urls["rec"], "--track", "nope", "--area", "nlp"])
    assert r.exit_code == 1 and "unknown track" in r.output
    r = runner.invoke(app, base + ["edit", urls["rec"]])
    assert r.exit_code == 1 and "--title-md" in r.output
    with Store(f"sqlite:///{db}") as s:
        entry = s.get_entry(urls["rec"])
        assert (entry["track"], entry["area"], entry["title_md"], entry["bullets"]) == \
            ("research", "nlp", "**Netflix** Recs", ["하나", "둘"])
        assert [d.author for d in s.decisions_for(urls["rec"])] == ["person:ana"] + ["person:curator"] * 3
        assert s.get_entry(urls["sm"])["status"] == "rejected"
