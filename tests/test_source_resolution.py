"""A post URL resolves to the registered blog behind it: host + path prefix, moved and old domains,
language paths; an unknown blog resolves to nothing."""

from __future__ import annotations

import pytest

from blogsift.models import Source
from blogsift.sources import SourceResolver, registry_resolver


@pytest.fixture(scope="module")
def resolve():
    return registry_resolver().resolve


@pytest.mark.parametrize("url, key, kind", [
    ("https://ai.googleblog.com/2022/11/robots-that-write-their-own-code.html", "google-research", "research"),
    ("https://ai.googleblog.com/2022/12/accelerating-text-generation-with.html?m=1", "google-research", "research"),
    ("https://blog.research.google/2023/01/some-post.html", "google-research", "research"),
    ("https://ai.facebook.com/blog/protein-folding-esmfold-metagenomics/", "meta-ai", "research"),
    ("https://ai.meta.com/blog/some-post/", "meta-ai", "research"),
    ("https://www.deepmind.com/blog/mastering-stratego", "deepmind", "research"),
    ("https://openai.com/blog/instruction-following/", "openai", "research"),
    ("https://engineering.fb.com/2022/11/01/ml-applications/x/", "meta-engineering-ml", "company"),
    ("https://medium.com/airbnb-engineering/when-a-picture-is-worth-more-than-words-17718860dcc2", "airbnb", "company"),
    ("https://netflixtechblog.medium.com/some-post-123", "netflix", "company"),
    ("https://eugeneyan.com//writing/text-to-image/", "eugeneyan", "individual"),
    ("https://pytorch.org/blog/trace-analysis-for-masses/", "pytorch", "project"),
    ("HTTPS://WWW.Tech.Scatterlab.co.kr:443/photochat-beta/", "scatterlab", "company"),
])
def test_known_blogs_resolve_with_their_kind(resolve, url, key, kind):
    source = resolve(url)
    assert source is not None and (source.key, source.kind) == (key, kind)


def test_language_paths_pick_the_blog_of_that_language(resolve):
    ko = resolve("https://aws.amazon.com/ko/blogs/machine-learning/build-a-robust-text-based-toxicity-predictor/")
    en = resolve("https://aws.amazon.com/blogs/machine-learning/automatically-retrain-neural-networks-with-renate/")
    tech = resolve("https://aws.amazon.com/ko/blogs/tech/choose-the-best-data-source/")
    assert (ko.key, ko.lang, ko.aws) == ("aws-ml-ko", "ko", True)
    assert (en.key, en.lang, en.aws) == ("aws-ml", "en", True)
    assert tech.key == "aws-korea-tech"
    # a language path the registry has no blog for falls back to the blog without it
    assert resolve("https://aws.amazon.com/ja/blogs/machine-learning/x/").key == "aws-ml"


def test_unknown_blogs_and_junk_resolve_to_nothing(resolve):
    assert resolve("https://github.com/google-research/tuning_playbook") is None
    assert resolve("https://example.com/blog/post") is None
    assert resolve("https://aws.amazon.com/blogs/compute/x/") is None      # another AWS blog
    assert resolve("https://medium.com/some-other-publication/x") is None  # another Medium publication
    assert resolve("not a url") is None and resolve("") is None and resolve(None) is None


def test_longest_prefix_wins_and_segments_are_whole():
    a = Source(key="all", name="A", feed_url="https://h.example/feed", home_url="https://h.example/")
    b = Source(key="ml", name="B", feed_url="https://h.example/ml/feed", home_url="https://h.example/blog/ml/")
    r = SourceResolver([a, b])
    assert r.resolve("https://h.example/blog/ml/post").key == "ml"
    assert r.resolve("https://h.example/blog/mlops/post").key == "all"


def test_the_store_sources_come_first(resolve):
    mine = Source(key="eugeneyan", name="Mine", feed_url="https://eugeneyan.com/rss/", home_url="https://eugeneyan.com/",
                  kind="research")
    assert registry_resolver([mine]).resolve("https://eugeneyan.com/writing/x/").kind == "research"
