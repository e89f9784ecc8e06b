"""Popularity signals that can be fetched: Hacker News points for the URL, stars of linked repositories.

Optional (``curation.popularity``), polite (timeouts, a per-run cap), cached in the store; a failure
(rate limit, server error, no network) means the signal is absent, never a crashed run.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from .models import Enrichment, Post

__all__ = ["popularity_for", "hn_points", "github_stars"]

#: seconds for one API call; popularity is a nice-to-have and must never hold a run up
TIMEOUT = 5.0


def _get_json(url: str, params: dict | None, settings) -> dict | None:
    try:
        r = httpx.get(url, params=params, timeout=TIMEOUT, headers={"User-Agent": settings.fetch.user_agent},
                      follow_redirects=False)
    except httpx.HTTPError:
        return None
    if r.status_code != 200:
        return None
    try:
        return r.json()
    except ValueError:
        return None


def hn_points(store, settings, url: str) -> dict | None:
    key = url
    cached = store.cache_get("hn", key, max_age_s=settings.curation.popularity_cache_days * 86400)
    if cached is not None:
        return cached
    data = _get_json(f"{settings.curation.hn_api_url}/search",
                     {"query": url, "restrictSearchableAttributes": "url"}, settings)
    if data is None:
        return None
    hits = data.get("hits") or []
    value = {"points": max((h.get("points") or 0 for h in hits), default=0),
             "comments": max((h.get("num_comments") or 0 for h in hits), default=0)}
    store.cache_put("hn", key, value)
    return value


def github_stars(store, settings, repo_url: str) -> int | None:
    parts = [p for p in urlsplit(repo_url).path.split("/") if p]
    if "github.com" not in repo_url or len(parts) < 2:
        return None
    key = f"{parts[0]}/{parts[1]}".lower()
    cached = store.cache_get("github", key, max_age_s=settings.curation.popularity_cache_days * 86400)
    if cached is not None:
        return cached.get("stars")
    data = _get_json(f"{settings.curation.github_api_url}/repos/{parts[0]}/{parts[1]}", None, settings)
    if data is None:
        return None
    stars = int(data.get("stargazers_count") or 0)
    store.cache_put("github", key, {"stars": stars})
    return stars


def popularity_for(store, settings, post: Post, enrichment: Enrichment | None) -> dict:
    hn = hn_points(store, settings, post.url) or {}
    stars = [s for s in (github_stars(store, settings, u) for u in (enrichment.code_links[:3] if enrichment else []))
             if s is not None]
    return {"hn_points": hn.get("points", 0), "hn_comments": hn.get("comments", 0), "stars": max(stars, default=0)}
