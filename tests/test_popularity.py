"""Popularity signals against local servers speaking the Hacker News (Algolia) and GitHub API formats."""

from __future__ import annotations

import json

from localserver import LocalServer, Route

from blogsift.models import Enrichment, Post
from blogsift.popularity import popularity_for
from blogsift.rank import Ranker
from blogsift.models import Classification

POST = Post(url="https://blog.example.com/serving", title="Serving", source_key="ex", text="x" * 2000)
ENR = Enrichment("https://blog.example.com/serving", code_links=["https://github.com/org/repo"])


def _api(hn_status=200, gh_status=200) -> dict:
    hn = {"hits": [{"points": 412, "num_comments": 97, "url": POST.url}, {"points": 12, "num_comments": 1}]}
    gh = {"full_name": "org/repo", "stargazers_count": 5321}
    return {"/hn/search": Route(status=hn_status, body=json.dumps(hn), content_type="application/json"),
            "/gh/repos/org/repo": Route(status=gh_status, body=json.dumps(gh) if gh_status == 200 else
                                        '{"message": "API rate limit exceeded"}', content_type="application/json")}


def _settings(settings, base):
    settings.curation.popularity = True
    settings.curation.hn_api_url = f"{base}/hn"
    settings.curation.github_api_url = f"{base}/gh"
    return settings


def test_points_and_stars_are_fetched_cached_and_raise_the_score(store, settings):
    with LocalServer(_api()) as srv:
        s = _settings(settings, srv.base_url)
        pop = popularity_for(store, s, POST, ENR)
        again = popularity_for(store, s, POST, ENR)
        paths = [r.path.split("?")[0] for r in srv.requests]
        assert paths.count("/hn/search") == 1 and paths.count("/gh/repos/org/repo") == 1   # then from cache
    assert pop == again == {"hn_points": 412, "hn_comments": 97, "stars": 5321}
    assert "query=https" in [r.path for r in srv.requests if r.path.startswith("/hn/")][0]
    c = Classification(True, 0.9, "business", 0.9, "nlp", 0.9)
    plain, popular = Ranker().rank(POST, c, ENR, None), Ranker().rank(POST, c, ENR, None, popularity=pop)
    assert popular.total > plain.total
    assert any("HN 412 points, 5321 stars" in r for r in popular.reasons)


def test_rate_limit_and_server_error_mean_no_signal_not_a_crash(store, settings):
    with LocalServer(_api(hn_status=500, gh_status=403)) as srv:
        pop = popularity_for(store, _settings(settings, srv.base_url), POST, ENR)
    assert pop == {"hn_points": 0, "hn_comments": 0, "stars": 0}
    assert store.cache_get("hn", POST.url) is None      # a failure is not cached as zero
